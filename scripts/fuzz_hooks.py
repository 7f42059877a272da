"""schemathesis hooks for scripts/fuzz: the scalars of normledger's schema, and the checks
that matter here: no HTTP 5xx, and every GraphQL error carries a code other than INTERNAL.
(Coded errors in an HTTP 200 are the API's normal refusals, not failures.)"""

from datetime import timezone

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Dates as the API takes them, valid or not: the server must refuse bad ones with a code.
schemathesis.graphql.scalar(
    "NaiveDate",
    st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.text(max_size=12),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat()),
        st.text(max_size=30),
    ).map(nodes.String),
)
schemathesis.graphql.scalar("JSON", st.text(max_size=20).map(nodes.String))
# Files come in multipart requests; over plain JSON any value for an Upload must be refused
# with a code: file references that name no file (well-formed or not), and any other text.
schemathesis.graphql.scalar(
    "Upload",
    st.one_of(
        st.integers(min_value=0, max_value=10**30).map(lambda n: f"#__graphql_file__:{n}"),
        st.text(max_size=8).map(lambda t: f"#__graphql_file__:{t}"),
        st.text(max_size=20),
    ).map(nodes.String),
)


@schemathesis.check
def no_server_error(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")


@schemathesis.check
def no_internal_error(ctx, response, case):
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON: {response.text[:200]}")
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code in (None, "INTERNAL"):
            raise AssertionError(f"an error without a code, or INTERNAL: {error}")
