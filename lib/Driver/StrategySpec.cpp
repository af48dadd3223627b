//===- StrategySpec.cpp - A strategy name with pass options ---------------===//

#include "moesaic/Driver/StrategySpec.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace moesaic;

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

/// The `key=value` items of an option string, split at spaces outside
/// braces and quotes (as MLIR's pipeline parser splits them).
static llvm::SmallVector<std::string> splitOptions(llvm::StringRef options) {
  llvm::SmallVector<std::string> items;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (char c : options) {
    if (quote) {
      quote = c == quote ? 0 : quote;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      --depth;
    } else if (c == ' ' && depth == 0) {
      if (!current.empty())
        items.push_back(std::move(current));
      current.clear();
      continue;
    }
    current.push_back(c);
  }
  if (!current.empty())
    items.push_back(std::move(current));
  return items;
}

/// The `key=value` options a pass declares with their current values, read
/// from its textual form (`name{key=value ...}`).
static llvm::SmallVector<std::pair<std::string, std::string>>
optionItems(Pass &pass) {
  llvm::SmallVector<std::pair<std::string, std::string>> items;
  std::string text;
  llvm::raw_string_ostream os(text);
  pass.printAsTextualPipeline(os);
  size_t open = text.find('{');
  if (open == std::string::npos || text.empty() || text.back() != '}')
    return items;
  for (const std::string &item :
       splitOptions(llvm::StringRef(text).slice(open + 1, text.size() - 1))) {
    auto [key, value] = llvm::StringRef(item).split('=');
    items.push_back({key.str(), value.str()});
  }
  return items;
}

/// Options that make a strategy what it is: `moe-create-schedule`'s
/// `strategy` (the schedule's name) and `targets` (the system kinds it
/// serves). Not listed, not settable.
static bool isIdentityOption(const Pass &pass, llvm::StringRef key) {
  return pass.getArgument() == "moe-create-schedule" &&
         (key == "strategy" || key == "targets");
}

static void optionNames(Pass &pass, llvm::StringSet<> &names) {
  for (const auto &item : optionItems(pass))
    if (!isIdentityOption(pass, item.first))
      names.insert(item.first);
}

std::vector<StrategyOption>
moesaic::strategyOptions(const StrategyInfo &info) {
  OpPassManager pm("builtin.module");
  buildStrategyPipeline(info, pm, /*dataflowProgram=*/false);
  std::vector<StrategyOption> options;
  for (Pass &pass : pm.getPasses())
    for (const auto &[key, value] : optionItems(pass)) {
      if (isIdentityOption(pass, key))
        continue;
      auto it = llvm::find_if(options, [&, &key = key](const StrategyOption &o) {
        return o.name == key;
      });
      if (it == options.end())
        it = options.insert(options.end(), {key, value, {}});
      if (!llvm::is_contained(it->passes, pass.getArgument()))
        it->passes.push_back(pass.getArgument().str());
    }
  llvm::sort(options, [](const StrategyOption &a, const StrategyOption &b) {
    return a.name < b.name;
  });
  return options;
}

/// Applies `spec.options` to every pass of `pm` that declares each key.
static llvm::Error applyOptions(const StrategySpec &spec, OpPassManager &pm) {
  for (const std::string &item : splitOptions(spec.options)) {
    llvm::StringRef key = llvm::StringRef(item).split('=').first.trim();
    if (!llvm::StringRef(item).contains('='))
      return error("strategy '" + spec.name + "': option '" + item +
                   "' needs a value (" + item + "=...)");
    // A NaN or an infinity would pass the passes' own range checks (every
    // comparison with NaN is false) and reach the schedule JSON, which has
    // no spelling for them.
    double number;
    llvm::StringRef value = llvm::StringRef(item).split('=').second.trim();
    if (!value.getAsDouble(number) && !std::isfinite(number))
      return error("strategy '" + spec.name + "': option '" + item +
                   "' must be a finite number");
    unsigned taken = 0;
    llvm::StringSet<> known;
    for (Pass &pass : pm.getPasses())
      if (isIdentityOption(pass, key))
        return error("strategy '" + spec.name + "': option '" + key +
                     "' is fixed by the strategy (it names the schedule "
                     "and the system kinds the strategy serves)");
    for (Pass &pass : pm.getPasses()) {
      llvm::StringSet<> names;
      optionNames(pass, names);
      for (const auto &n : names)
        known.insert(n.getKey());
      if (!names.contains(key))
        continue;
      std::string why;
      if (failed(pass.initializeOptions(item, [&](const llvm::Twine &msg) {
            why = msg.str();
            return failure();
          })))
        return error("strategy '" + spec.name + "': option '" + item +
                     "' of pass '" + pass.getArgument() + "': " +
                     (why.empty() ? std::string("invalid value") : why));
      ++taken;
    }
    if (!taken) {
      std::vector<std::string> sorted;
      for (const auto &n : known)
        sorted.push_back(n.getKey().str());
      llvm::sort(sorted);
      return error("strategy '" + spec.name + "' has no option '" + key +
                   "'" +
                   (sorted.empty()
                        ? std::string(" (its passes take none)")
                        : " (its passes take: " + llvm::join(sorted, ", ") +
                              ")"));
    }
  }
  return llvm::Error::success();
}

llvm::Error moesaic::buildStrategySpecPipeline(const StrategySpec &spec,
                                               OpPassManager &pm,
                                               bool dataflowProgram) {
  buildStrategyPipeline(*spec.info, pm, dataflowProgram);
  return applyOptions(spec, pm);
}

llvm::Expected<StrategySpec>
moesaic::parseStrategySpec(llvm::StringRef text) {
  StrategySpec spec;
  text = text.trim();
  spec.text = text.str();
  size_t brace = text.find('{');
  llvm::StringRef name = text.take_front(brace).trim();
  if (brace != llvm::StringRef::npos) {
    if (!text.ends_with("}"))
      return error("strategy '" + text + "': options go between braces, "
                   "e.g. fse-dp{holders=single}");
    spec.options =
        text.slice(brace + 1, text.size() - 1).trim().str();
  }
  spec.name = name.str();
  spec.info = findStrategy(name);
  if (!spec.info)
    return error("unknown strategy '" + name + "' (known: " +
                 strategyNames() + ")");
  if (!spec.options.empty()) {
    // Checked now (no context needed), not after reading the model.
    OpPassManager pm("builtin.module");
    if (llvm::Error e = buildStrategySpecPipeline(spec, pm, false))
      return std::move(e);
    // One spelling per variant: `fse-dp{ holders=single }` is reported
    // (and checked for duplicates) as `fse-dp{holders=single}`.
    spec.text = spec.name + "{" + spec.options + "}";
  } else {
    spec.text = spec.name; // `fse-dp{}` is fse-dp
  }
  return spec;
}

llvm::SmallVector<std::string>
moesaic::splitStrategyList(llvm::StringRef list) {
  llvm::SmallVector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : list) {
    if (c == '{')
      ++depth;
    else if (c == '}')
      --depth;
    if (c == ',' && depth == 0) {
      out.push_back(llvm::StringRef(current).trim().str());
      current.clear();
      continue;
    }
    current.push_back(c);
  }
  if (!out.empty() || !llvm::StringRef(current).trim().empty())
    out.push_back(llvm::StringRef(current).trim().str());
  return out;
}
