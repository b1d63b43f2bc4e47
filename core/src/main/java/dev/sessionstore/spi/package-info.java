/**
 * The storage SPI: the one small interface a backend implements ({@link
 * dev.sessionstore.spi.StorageBackend}), how it is found ({@link
 * dev.sessionstore.spi.StorageProvider}) and the types it speaks.
 */
@NullMarked
package dev.sessionstore.spi;

import org.jspecify.annotations.NullMarked;
