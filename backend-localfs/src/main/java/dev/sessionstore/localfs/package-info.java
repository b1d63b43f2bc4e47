/**
 * The local file system backend ({@code file:} URIs): sessions as readable JSONL and JSON files
 * under one root directory, written with fsync, atomic renames and cross-process file locks.
 */
@NullMarked
package dev.sessionstore.localfs;

import org.jspecify.annotations.NullMarked;
