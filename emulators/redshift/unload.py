"""Write an UNLOAD's output to S3 as Redshift names its part files (r_UNLOAD.html).

The data arrives as PostgreSQL's `COPY (query) TO STDOUT` payloads; it is compressed on the fly (GZIP)
and uploaded as a multipart upload once it outgrows one part, so memory stays bounded.
"""

from __future__ import annotations

import contextlib
import zlib

from botocore.exceptions import BotoCoreError, ClientError

from emulators.redshift.errors import RedshiftError
from emulators.redshift.plan import UnloadToS3
from emulators.redshift.s3_load import s3_client, s3_error, split_s3_url

PART_SIZE = 8 * 1024 * 1024  # S3 multipart parts must be at least 5 MiB, except the last
NOT_EMPTY = (
    "Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, "
    "manually removing the target files in S3, or using the ALLOWOVERWRITE option."
)


def part_key(spec: UnloadToS3) -> str:
    """The one file the emulator writes: PARALLEL OFF -> prefix000, PARALLEL ON -> prefix0000_part_00
    (slice 0, the emulator's only slice); '.gz' with GZIP."""
    _bucket, prefix = split_s3_url(spec.s3_url)
    return prefix + ("0000_part_00" if spec.parallel else "000") + (".gz" if spec.gzip else "")


class S3Unload:
    def __init__(self, spec: UnloadToS3, endpoint_url: str | None) -> None:
        self.spec = spec
        self._client = s3_client(spec.credentials, spec.region, endpoint_url)
        self._bucket, self._prefix = split_s3_url(spec.s3_url)
        self._key = part_key(spec)
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS) if spec.gzip else None
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict] = []

    def start(self) -> None:
        """Refuse before the query runs: no bucket, refused credentials, or files UNLOAD might overwrite."""
        try:
            self._client.head_bucket(Bucket=self._bucket)
            if not self.spec.allow_overwrite:
                # r_UNLOAD.html, ALLOWOVERWRITE: by default UNLOAD fails if it might overwrite files.
                listing = self._client.list_objects_v2(Bucket=self._bucket, Prefix=self._prefix, MaxKeys=1)
                if listing.get("KeyCount", 0):
                    raise RedshiftError(NOT_EMPTY)
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"UNLOAD destination {self.spec.s3_url}") from error

    def write(self, data: bytes) -> None:
        self._buffer += self._compressor.compress(data) if self._compressor else data
        if len(self._buffer) >= PART_SIZE:
            self._upload_part()

    def finish(self) -> list[str]:
        """Upload what is left; the keys written."""
        if self._compressor:
            self._buffer += self._compressor.flush()
        try:
            if self._upload_id is None:
                self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
            else:
                self._upload_part()
                self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except (ClientError, BotoCoreError) as error:
            self.abort()
            raise s3_error(error, f"UNLOAD to {self.spec.s3_url}") from error
        self._buffer.clear()
        return [self._key]

    def abort(self) -> None:
        """Drop a half-written upload, so a failed UNLOAD leaves no part file behind."""
        self._buffer.clear()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            # Nothing was completed, so no object is visible whether or not the abort succeeds.
            with contextlib.suppress(ClientError, BotoCoreError):
                self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=upload_id)

    def _upload_part(self) -> None:
        try:
            if self._upload_id is None:
                upload = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)
                self._upload_id = upload["UploadId"]
            number = len(self._parts) + 1
            response = self._client.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=bytes(self._buffer),
            )
        except (ClientError, BotoCoreError) as error:
            self.abort()
            raise s3_error(error, f"UNLOAD to {self.spec.s3_url}") from error
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer.clear()
