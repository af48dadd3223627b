//===- Diagnostics.cpp - Captured diagnostics -----------------------------===//

#include "Compiler.h"

using namespace moesaic::python;

void Diagnostics::add(std::string severity, std::string location,
                      std::string message) {
  Diagnostic d;
  d.text =
      (location.empty() ? "" : location + ": ") + severity + ": " + message;
  d.severity = std::move(severity);
  d.location = std::move(location);
  d.message = std::move(message);
  entries.push_back(std::move(d));
}

bool Diagnostics::hasErrors() const {
  for (const Diagnostic &d : entries)
    if (d.severity == "error")
      return true;
  return false;
}

std::string Diagnostics::errorText() const {
  std::string out;
  for (const Diagnostic &d : entries) {
    if (d.severity != "error")
      continue;
    if (!out.empty())
      out += "\n";
    out += d.text;
  }
  return out;
}

std::vector<std::string> Diagnostics::warnings() const {
  std::vector<std::string> out;
  for (const Diagnostic &d : entries)
    if (d.severity == "warning")
      out.push_back(d.text);
  return out;
}
