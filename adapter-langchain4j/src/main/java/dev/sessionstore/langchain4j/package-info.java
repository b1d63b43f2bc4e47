/** A LangChain4j {@code ChatMemoryStore} on sessionstore: {@link dev.sessionstore.langchain4j.SessionStoreChatMemoryStore}. */
@NullMarked
package dev.sessionstore.langchain4j;

import org.jspecify.annotations.NullMarked;
