"""A CREDENTIALS string is never echoed back, whatever its shape: not in the error, not in the history."""

from __future__ import annotations

import psycopg2
import pytest

from tests.emulator.wire_helpers import psycopg2_connect, unique

SECRET = "LEAKSECRET_NOKEY"
SHAPES = {
    "element without '='": f"aws_access_key_id=AKIAX;{SECRET}",
    "only element, no '='": SECRET,
    "unknown key": f"aws_access_key_id=AKIAX;{SECRET}=x",
}


@pytest.mark.parametrize("credentials", SHAPES.values(), ids=SHAPES.keys())
def test_a_malformed_credentials_string_is_masked_in_the_error_and_the_history(
    redshift_emulator, bucket, credentials
):
    table = unique("leak")
    conn = psycopg2_connect(redshift_emulator)
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as refused:
            cur.execute(f"COPY {table} FROM 's3://{bucket}/nothing.csv' CREDENTIALS '{credentials}' CSV")
        assert "CREDENTIALS" in str(refused.value), f"the error should name the option: {refused.value}"
        assert SECRET not in str(refused.value), f"the error echoes the secret: {refused.value}"
        cur.execute("SELECT * FROM sys_query_history WHERE query_text LIKE %s", (f"%{table}%",))
        rows = cur.fetchall()
    conn.close()
    assert rows, "the refused COPY is missing from sys_query_history"
    assert SECRET not in repr(rows), f"sys_query_history holds the secret: {rows}"
