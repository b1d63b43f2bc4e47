/**
 * The conformance kit every storage backend runs: extend {@link
 * dev.sessionstore.conformance.ConformanceKit} in a test class and return fresh backends. {@link
 * dev.sessionstore.conformance.FaultInjectingBackend} injects the faults of the design's fault
 * catalogue into any backend.
 */
@NullMarked
package dev.sessionstore.conformance;

import org.jspecify.annotations.NullMarked;
