//===- RegisterNdpRuntimes.cpp - The GPU-NDP runtimes by name -------------===//

#include "moesaic/Runtime/Ndp/NdpRuntimes.h"

using namespace moesaic;
using namespace moesaic::perf;

std::unique_ptr<StrategyRuntime> createNdpTpRuntime();
std::unique_ptr<StrategyRuntime> createOnDemandRuntime();
std::unique_ptr<StrategyRuntime> createFiddlerRuntime();
std::unique_ptr<StrategyRuntime> createMondeRuntime();

std::unique_ptr<StrategyRuntime>
moesaic::ndp::createNdpRuntime(llvm::StringRef name) {
  if (name == "ndp-tp")
    return createNdpTpRuntime();
  if (name == "ndp-ondemand")
    return createOnDemandRuntime();
  if (name == "ndp-fiddler")
    return createFiddlerRuntime();
  if (name == "ndp-monde")
    return createMondeRuntime();
  return nullptr;
}

void moesaic::ndp::registerNdpRuntimes() {
  for (const char *name :
       {"ndp-tp", "ndp-ondemand", "ndp-fiddler", "ndp-monde"}) {
    std::string n = name;
    registerRuntime(n, [n] { return createNdpRuntime(n); });
  }
}
