//! A home whose registry is a registry service: the `/v1` API's types ([`wire`]).
pub mod wire;
