/**
 * A Spring AI {@code ChatMemoryRepository} on sessionstore ({@link
 * dev.sessionstore.springai.SessionStoreChatMemoryRepository}) and its Spring Boot
 * auto-configuration.
 */
@NullMarked
package dev.sessionstore.springai;

import org.jspecify.annotations.NullMarked;
