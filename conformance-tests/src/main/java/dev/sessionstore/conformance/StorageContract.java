package dev.sessionstore.conformance;

/** The storage-contract role: every rule of the byte-level SPI, group by group. */
interface StorageContract extends BlobContract, LogContract, TrimContract, DeleteContract,
    ListContract, KeyValidation, IdleOperations, ValueSizes, Visibility, SpiConcurrency {}
