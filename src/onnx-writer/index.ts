/** ONNX model writing: the protobuf encoder, ModelProto encoding, and policy model builders. */
export * from './protobuf.js';
export * from './model.js';
export * from './policies.js';
