/**
 * Micrometer metrics for a {@link dev.sessionstore.SessionStore}: see {@link
 * dev.sessionstore.micrometer.SessionStoreMetrics}.
 */
package dev.sessionstore.micrometer;
