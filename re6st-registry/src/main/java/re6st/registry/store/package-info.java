/**
 * The registry's durable storage: {@link re6st.registry.store.RegistryDb} over SQLite with the
 * original re6st registry's tables ({@code config}, {@code token}, {@code cert}, {@code crl}), so an
 * existing {@code registry.db} opens as is. WAL, synchronous FULL, one transaction per operation
 * ({@link re6st.registry.store.RegistryDb#transaction}); typed access in
 * {@link re6st.registry.store.Transaction}; config value types in {@link re6st.registry.store.ConfigKey}.
 */
package re6st.registry.store;
