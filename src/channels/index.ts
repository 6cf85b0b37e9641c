// Delivery channels: what other folders import.
export { ackCodePlaceholder, type Channel, type ChannelKind, type ChannelMessage, type ChannelSet, type DeliveryResult, type OutboundNotification, type Recipient } from './channel.js';
export { ackLinkLifetimeMs, ackLinkToken, checkAckLinkToken, type AckLinkCheck } from './ack-links.js';
export { createDevChannels, readDevDeliveries, type DevChannelOptions, type DevChannels, type DevDelivery } from './dev.js';
export { createDeliveryLog, type DeliveryLog } from './deliveries.js';
export { ensureGatewayKeys, type GatewayKeys, type VapidKeys } from './gateway-keys.js';
export { phiGuard, type PhiGuard, type PhiLeak } from './phi-guard.js';
