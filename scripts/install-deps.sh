#!/usr/bin/env bash
# Installs the Debian packages Moesaic needs (listed below; README.md, "Building
# by hand", says what each is for).
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ lld-19
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  pybind11-dev python3-dev python3-pytest python3-numpy
  python3-onnx python3-matplotlib
  python3-nbclient python3-nbformat python3-ipykernel
  libgtest-dev libbenchmark-dev
)
if [ "${MOESAIC_FULL_DEPS:-0}" = 1 ]; then
  # Only for model export, the conformance sweep, fuzzing and sanitizers.
  packages+=(python3-torch libonnx-testdata clang-19 libclang-rt-19-dev python3-distributed)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
