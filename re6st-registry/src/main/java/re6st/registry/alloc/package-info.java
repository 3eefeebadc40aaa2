/**
 * Node prefix allocation: the buddy allocator over the {@code cert} table
 * ({@link re6st.registry.alloc.PrefixAllocator}: allocate, free with merging, grace-period expiry)
 * and the location-based {@link re6st.registry.alloc.Communities}.
 */
package re6st.registry.alloc;
