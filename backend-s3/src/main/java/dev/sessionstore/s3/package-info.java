/**
 * The S3 backend ({@code s3://bucket/prefix} URIs): sessions on AWS S3 or an S3-compatible
 * object store (MinIO, Ceph RGW, s3proxy), made safe for concurrent writers by S3 conditional
 * writes. Open it with {@link dev.sessionstore.s3.S3StorageProvider} through a URI, or with
 * {@link dev.sessionstore.s3.S3Storage#builder()} around an {@code S3Client} of your own.
 */
@NullMarked
package dev.sessionstore.s3;

import org.jspecify.annotations.NullMarked;
