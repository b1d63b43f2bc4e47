/** The in-memory reference backend ({@code mem:} URIs). */
@NullMarked
package dev.sessionstore.mem;

import org.jspecify.annotations.NullMarked;
