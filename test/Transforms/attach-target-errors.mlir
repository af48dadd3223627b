// What moe-attach-target rejects.
// RUN: moe-opt %s -split-input-file -verify-diagnostics --moe-attach-target=hw=edge-chiplet-4

// A module that targets another system needs replace=true.
// expected-error @+1 {{the module already targets @other; to target 'edge-chiplet-4' instead, set replace=true (moe-opt --moe-attach-target='hw=edge-chiplet-4 replace=true' in place of --hw)}}
module {
  // expected-note @+1 {{existing system is here}}
  hw.system @other kind chiplet {
    hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  }
}

// -----

// The pass also fails when the hardware cannot be loaded: no hw option,
// an unknown name (the error lists the presets), or a bad file (the error
// names the file and the reason).
// RUN: not moe-opt %s --moe-attach-target 2>&1 | FileCheck %s --check-prefix=NOHW
// NOHW: error: moe-attach-target needs 'hw=<preset or file>'
// RUN: not moe-opt %s --moe-attach-target=hw=no-such-preset 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: error: unknown hardware 'no-such-preset': not a preset and no such file (presets: {{.*}}edge-chiplet-4{{.*}})
// RUN: not moe-opt %s --moe-attach-target=hw=%S/Inputs/disconnected.json 2>&1 | FileCheck %s --check-prefix=BADFILE
// BADFILE: error: hardware file '{{.*}}Inputs/disconnected.json': device 'a' cannot reach device 'c' over any link
module {
}
