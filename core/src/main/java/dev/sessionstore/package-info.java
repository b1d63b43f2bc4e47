/**
 * Durable conversation sessions: open a {@link dev.sessionstore.SessionStore} on a backend,
 * then append, commit, load and reconcile {@link dev.sessionstore.Session}s.
 */
@NullMarked
package dev.sessionstore;

import org.jspecify.annotations.NullMarked;
