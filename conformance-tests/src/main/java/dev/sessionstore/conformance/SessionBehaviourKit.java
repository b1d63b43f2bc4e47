package dev.sessionstore.conformance;

/**
 * The session-behaviour kit alone: {@code core}'s sessions on the backend ({@code
 * SessionSemantics}, {@code FaultCatalogue}, {@code CrashPoints}, {@code SessionConcurrency},
 * {@code LifecycleRules}, {@code HealSafety}, {@code LiveLogDamage}, {@code BadInput}). Extend
 * it like {@link ConformanceKit}.
 */
public abstract class SessionBehaviourKit extends KitFixture implements SessionBehaviour {}
