// The audit trail: what other folders import.
export { appendAudit, appendAuditEvents, appendAuditEventsWith, listAudit, parseAuditCursor, sealAuditHeads, startOfTrail, verifyAudit, type AuditCursor, type AuditQuery, type AuditEvent, type AuditProblem, type AuditVerification } from './log.js';
export { AuditKeyError, loadAuditKey, loadKey, parseAuditKey } from './key.js';
