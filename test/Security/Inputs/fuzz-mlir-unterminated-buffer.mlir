// What moe-attach-target re-opt %s -split-input-file -verify-diagnostics --moe-attach-target=hw=edge-chiplet-4

// A u ldtmeohat targets another system needs replace=true.
// expected-error @+1 {{the module already targets @other; to target 'edge-chiplet-4' instead, set replace=true (moe-opt --moe-attach-target='hw=edge-chiplet-4 replace=true' in place of --hw)}}
module {
  // expected-note @+1 {{existing system is here}}
  hw.system @other kind chiplet {
    hw.device @a kind chiplet {peak_tflops = {bf16 = 1.0}}
  }
}

