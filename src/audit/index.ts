// The audit trail: what other folders import.
export { appendAudit, verifyAudit, type AuditEvent, type AuditProblem, type AuditVerification } from './log.js';
export { AuditKeyError, loadAuditKey, loadKey, parseAuditKey } from './key.js';
