/**
 * What the chat-framework adapters share: {@link dev.sessionstore.adapter.WindowedChatStore}
 * turns replace-all window updates into appends and archives, and {@link
 * dev.sessionstore.adapter.ConversationIds} maps conversation ids to session ids.
 */
@NullMarked
package dev.sessionstore.adapter;

import org.jspecify.annotations.NullMarked;
