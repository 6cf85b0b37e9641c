// The benchmark's one time base: CLOCK_MONOTONIC in milliseconds (process.hrtime). It is the
// same clock in every process on the machine, so a request start noted by the load generator's
// process and a channel handoff noted in the gateway's process can be subtracted.
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
