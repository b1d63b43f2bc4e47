package dev.sessionstore.conformance;

/**
 * The session-behaviour role: append, commit, load and heal through {@code core} on the backend,
 * under every fault of the catalogue, crashes at every step, concurrency and hostile input.
 */
interface SessionBehaviour extends SessionSemantics, FaultCatalogue, CrashPoints,
    SessionConcurrency, LifecycleRules, BadInput, HealSafety, LiveLogDamage {}
