package dev.sessionstore.conformance;

/**
 * The storage-contract kit alone: every rule of the byte-level SPI ({@code BlobContract},
 * {@code LogContract}, {@code TrimContract}, {@code DeleteContract}, {@code ListContract}, {@code
 * KeyValidation}, {@code IdleOperations}, {@code ValueSizes}, {@code Visibility}, {@code
 * SpiConcurrency}). Extend it like {@link ConformanceKit}; a backend that passes it can then run
 * {@link SessionBehaviourKit}, or both at once with {@link ConformanceKit}.
 */
public abstract class StorageContractKit extends KitFixture implements StorageContract {}
