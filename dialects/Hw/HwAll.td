//===- HwAll.td - Every op of the hw dialect ---------------*- tablegen -*-===//
//
// The system-description ops (HwOps.td) and the schedule ops the lowering
// passes emit (HwScheduleOps.td), generated together.
//
//===----------------------------------------------------------------------===//

include "Hw/HwOps.td"
include "Hw/HwScheduleOps.td"
include "Hw/HwBaselineOps.td"
