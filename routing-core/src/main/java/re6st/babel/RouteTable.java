package re6st.babel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import re6st.babel.message.Prefix;

/**
 * Routes by destination (prefix + source prefix), each destination with the routes learned
 * from every neighbour and at most one installed. Hash-indexed: selection for one destination
 * touches only its own routes, whatever the table size (100,000+ destinations).
 */
final class RouteTable {
    record Key(Prefix prefix, Prefix src) {}

    static final class Entry {
        final Prefix prefix;
        final Prefix src;
        final List<Route> routes = new ArrayList<>(2);
        Route installed;

        Entry(Prefix prefix, Prefix src) {
            this.prefix = prefix;
            this.src = src;
        }
    }

    private final Map<Key, Entry> entries = new HashMap<>();
    private int size;

    Entry entry(Prefix prefix, Prefix src) {
        return entries.get(new Key(prefix, src));
    }

    Entry entryOrCreate(Prefix prefix, Prefix src) {
        return entries.computeIfAbsent(new Key(prefix, src), k -> new Entry(prefix, src));
    }

    Route find(Prefix prefix, Prefix src, Neighbour n) {
        Entry e = entry(prefix, src);
        if (e == null)
            return null;
        for (Route r : e.routes)
            if (r.neighbour == n)
                return r;
        return null;
    }

    Route add(Entry e, Neighbour n) {
        Route r = new Route(e, n);
        e.routes.add(r);
        n.routes.add(r);
        size++;
        return r;
    }

    void remove(Route r) {
        Entry e = r.entry;
        if (e.routes.remove(r))
            size--;
        r.neighbour.routes.remove(r);
        if (e.installed == r)
            e.installed = null;
        if (e.routes.isEmpty())
            entries.remove(new Key(e.prefix, e.src));
    }

    Iterable<Entry> entries() {
        return entries.values();
    }

    /** A snapshot of every route (for dumps and iteration that modifies the table). */
    List<Route> all() {
        List<Route> out = new ArrayList<>(size);
        for (Entry e : entries.values())
            out.addAll(e.routes);
        return out;
    }

    int size() {
        return size;
    }

    int destinations() {
        return entries.size();
    }
}
