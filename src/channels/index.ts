// Delivery channels: what other folders import.
export type { Channel, ChannelKind, ChannelMessage, ChannelSet, DeliveryResult, OutboundNotification, Recipient } from './channel.js';
export { createDevChannels, readDevDeliveries, type DevChannelOptions, type DevChannels, type DevDelivery } from './dev.js';
export { ensureVapidKeys, type VapidKeys } from './vapid-keys.js';
