// ttrpc: containerd's lightweight RPC over unix sockets (protobuf messages, no HTTP/2).
export { TtrpcServer, type CallContext, type Handler } from './server';
export { TtrpcClient, type CallOptions } from './client';
export { TtrpcError, Code, codeName } from './errors';
export { encodeFrame, FrameReader, FrameType, HEADER_LENGTH, MAX_PAYLOAD, type Frame } from './frame';
export { peerAllowed, peerProcessName } from './peer';
