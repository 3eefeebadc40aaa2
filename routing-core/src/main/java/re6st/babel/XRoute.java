package re6st.babel;

import re6st.babel.message.Prefix;

/** A route we originate ("exported route", RFC 8966 3.7): announced with our router-id and seqno. */
public record XRoute(Prefix prefix, Prefix src, int metric) {}
