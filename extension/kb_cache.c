/*
 * kb_cache.c: a cache of knowledge-base search answers, shared by the server's connections.
 *
 * helpdesk.kb_cache_get(key text, version bigint, ttl_ms int) -> jsonb or NULL
 * helpdesk.kb_cache_put(key text, version bigint, value jsonb, capacity int, version_xmin xid) -> void
 *
 * People search for the same things (and suggest asks again at every key stroke), and a search
 * answer is a pure function of its inputs and of the knowledge base: helpdesk.kb_stats.version
 * changes with every article, publication and synonym change, so an answer cached under an
 * older version is never served. ttl_ms bounds how stale the view and vote counters shown in
 * an answer may get (they change without bumping the version).
 *
 * Shared: with the library preloaded, answers live in shared memory (helpdesk.kb_cache_size,
 * default 16 MB): a ring of entries, written one after the other and overwriting the oldest,
 * and a table of slots (key hash -> position in the ring; a few slots probed per key). One
 * connection's answer serves every other one: with a connection per connection to
 * PostgreSQL, a per-connection cache misses each query once per connection (bench/kb.sh at
 * 100,000 articles: the misses, ~40 ms each, were the cached figures' p99). An entry carries
 * its database, the kb_stats table it was counted in (a re-created extension starts its
 * version again) and the full key, so a hash collision or another database never answers.
 * A transaction that changed the version (version_xmin, the kb_stats row's, is its own) does
 * not store: kb_stats.version is a counter, so a rolled-back change hands its number to the next
 * one, and what that transaction saw must not be served under it. Readers share one lock,
 * writers take it alone for a copy.
 *
 * Without shared memory (the library not preloaded, or helpdesk.kb_cache_size = 0) each
 * connection keeps its own: at most `capacity` answers, the least recently used go first.
 * Keys of 256 bytes or more and answers of 256 kB or more (or over an eighth of the shared
 * ring) are not cached.
 *
 * bench/kb.sh measures search with and without it (setting 'kb_search_cache_ms' = 0).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_kb_cache_get);
PG_FUNCTION_INFO_V1(helpdesk_kb_cache_put);

#define KEY_SIZE 256
#define VALUE_MAX (256 * 1024)

/* ---- the shared cache ---- */

int			helpdesk_kb_cache_size_kb = 16384;	/* helpdesk.kb_cache_size */

#define SLOT_PROBES 8			/* slots looked at per key: the key's and the next ones */
#define SLOT_BYTES 1024			/* one slot per this much ring: answers are 1-20 kB */

typedef struct SharedSlot
{
	uint64		hash;
	uint64		pos;			/* where its entry starts in the ring's byte count */
	uint32		len;			/* 0: empty */
} SharedSlot;

typedef struct SharedEntry
{
	Oid			db;
	Oid			stats_rel;
	int64		version;
	TimestampTz stored;
	int32		keylen;
	int32		vallen;
	/* then the key, then (MAXALIGNed) the value's bytes */
} SharedEntry;

typedef struct SharedCache
{
	LWLock	   *lock;
	uint64		head;			/* bytes ever written: the ring's next byte is head % ring_size */
	uint64		ring_size;
	uint32		nslots;
	SharedSlot *slots;			/* nslots, then the ring */
	char	   *ring;
} SharedCache;

static SharedCache *shared;

static Size
shared_ring_size(void)
{
	return (Size) helpdesk_kb_cache_size_kb * 1024;
}

static uint32
shared_nslots(void)
{
	return (uint32) Max(64, shared_ring_size() / SLOT_BYTES);
}

void
helpdesk_kb_cache_define_gucs(void)
{
	DefineCustomIntVariable("helpdesk.kb_cache_size",
							"Shared memory for knowledge-base search answers (0: each connection keeps its own).",
							"Read at server start; the setting 'kb_search_cache_ms' turns caching off.",
							&helpdesk_kb_cache_size_kb, 16384, 0, 1024 * 1024,
							PGC_POSTMASTER, GUC_UNIT_KB,
							NULL, NULL, NULL);
}

void
helpdesk_kb_cache_shmem_request(void)
{
	if (helpdesk_kb_cache_size_kb <= 0)
		return;
	RequestAddinShmemSpace(MAXALIGN(sizeof(SharedCache)) +
						   MAXALIGN(sizeof(SharedSlot) * shared_nslots()) + shared_ring_size());
	RequestNamedLWLockTranche("helpdesk kb cache", 1);
}

void
helpdesk_kb_cache_shmem_startup(void)
{
	bool		found;
	char	   *base;

	if (helpdesk_kb_cache_size_kb <= 0)
		return;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	base = ShmemInitStruct("helpdesk kb cache",
						   MAXALIGN(sizeof(SharedCache)) +
						   MAXALIGN(sizeof(SharedSlot) * shared_nslots()) + shared_ring_size(),
						   &found);
	shared = (SharedCache *) base;
	if (!found)
	{
		shared->lock = &(GetNamedLWLockTranche("helpdesk kb cache"))->lock;
		shared->head = 0;
		shared->ring_size = shared_ring_size();
		shared->nslots = shared_nslots();
		shared->slots = (SharedSlot *) (base + MAXALIGN(sizeof(SharedCache)));
		memset(shared->slots, 0, sizeof(SharedSlot) * shared->nslots);
		shared->ring = base + MAXALIGN(sizeof(SharedCache)) + MAXALIGN(sizeof(SharedSlot) * shared->nslots);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Whether the slot's entry is still whole in the ring (not overwritten since). */
static bool
slot_live(const SharedSlot *slot)
{
	return slot->len > 0 && slot->pos + shared->ring_size >= shared->head;
}

static SharedEntry *
slot_entry(const SharedSlot *slot)
{
	return (SharedEntry *) (shared->ring + slot->pos % shared->ring_size);
}

/* The kb_stats table of this database's extension: InvalidOid when there is none. */
static Oid
stats_relation(void)
{
	Oid			ns = get_namespace_oid("helpdesk", true);

	return OidIsValid(ns) ? get_relname_relid("kb_stats", ns) : InvalidOid;
}

static Jsonb *
shared_get(const char *key, int keylen, int64 version, int32 ttl_ms)
{
	uint64		hash = hash_bytes_extended((const unsigned char *) key, keylen, 0);
	Oid			rel = stats_relation();
	Jsonb	   *result = NULL;
	uint32		i;

	LWLockAcquire(shared->lock, LW_SHARED);
	for (i = 0; i < SLOT_PROBES; i++)
	{
		SharedSlot *slot = &shared->slots[(hash + i) % shared->nslots];
		SharedEntry *e;

		if (slot->hash != hash || !slot_live(slot))
			continue;
		e = slot_entry(slot);
		if (e->db != MyDatabaseId || e->stats_rel != rel || e->keylen != keylen ||
			memcmp((char *) e + sizeof(SharedEntry), key, keylen) != 0)
			continue;
		if (e->version == version &&
			!TimestampDifferenceExceeds(e->stored, GetCurrentTimestamp(), ttl_ms))
		{
			result = palloc(e->vallen);
			memcpy(result, (char *) e + MAXALIGN(sizeof(SharedEntry) + keylen), e->vallen);
		}
		break;
	}
	LWLockRelease(shared->lock);
	return result;
}

static void
shared_put(const char *key, int keylen, int64 version, const Jsonb *value)
{
	uint64		hash = hash_bytes_extended((const unsigned char *) key, keylen, 0);
	Oid			rel = stats_relation();
	uint32		len = MAXALIGN(sizeof(SharedEntry) + keylen) + MAXALIGN(VARSIZE(value));
	SharedSlot *target = NULL;
	SharedEntry *e;
	uint64		offset;
	uint32		i;

	if (len > shared->ring_size / 8)
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	/* the key's own slot, else a free one, else the one holding the oldest entry */
	for (i = 0; i < SLOT_PROBES; i++)
	{
		SharedSlot *slot = &shared->slots[(hash + i) % shared->nslots];

		if (slot->hash == hash && slot_live(slot))
		{
			target = slot;
			break;
		}
		if (!slot_live(slot))
		{
			if (target == NULL || slot_live(target))
				target = slot;
		}
		else if (target == NULL || (slot_live(target) && slot->pos < target->pos))
			target = slot;
	}
	/* an entry does not wrap around the ring's end: it starts again at the beginning */
	offset = shared->head % shared->ring_size;
	if (offset + len > shared->ring_size)
		shared->head += shared->ring_size - offset;
	e = (SharedEntry *) (shared->ring + shared->head % shared->ring_size);
	e->db = MyDatabaseId;
	e->stats_rel = rel;
	e->version = version;
	e->stored = GetCurrentTimestamp();
	e->keylen = keylen;
	e->vallen = VARSIZE(value);
	memcpy((char *) e + sizeof(SharedEntry), key, keylen);
	memcpy((char *) e + MAXALIGN(sizeof(SharedEntry) + keylen), value, VARSIZE(value));
	target->hash = hash;
	target->pos = shared->head;
	target->len = len;
	shared->head += len;
	LWLockRelease(shared->lock);
}

/* ---- each connection's own (no shared memory) ---- */

typedef struct CacheEntry
{
	char		key[KEY_SIZE];
	int64		version;
	TimestampTz stored;
	Jsonb	   *value;			/* in cache_cxt */
	dlist_node	lru;			/* head: most recently used */
} CacheEntry;

static MemoryContext cache_cxt;
static HTAB *cache;
static dlist_head lru = DLIST_STATIC_INIT(lru);
static long n_entries;

static bool
key_of(text *t, char *out)
{
	int			len = VARSIZE_ANY_EXHDR(t);

	if (len >= KEY_SIZE)
		return false;
	memset(out, 0, KEY_SIZE);
	memcpy(out, VARDATA_ANY(t), len);
	/* a NUL inside would cut the key short: such a key is not cached */
	return memchr(out, '\0', len) == NULL;
}

static void
cache_init(void)
{
	HASHCTL		ctl;

	if (cache != NULL)
		return;
	cache_cxt = AllocSetContextCreate(TopMemoryContext, "kb search cache", ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = KEY_SIZE;
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = cache_cxt;
	cache = hash_create("kb search cache", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
evict(CacheEntry *e)
{
	dlist_delete(&e->lru);
	if (e->value != NULL)
		pfree(e->value);
	hash_search(cache, e->key, HASH_REMOVE, NULL);
	n_entries--;
}

Datum
helpdesk_kb_cache_get(PG_FUNCTION_ARGS)
{
	char		key[KEY_SIZE];
	int64		version;
	int32		ttl_ms;
	CacheEntry *e;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || (cache == NULL && shared == NULL))
		PG_RETURN_NULL();
	ttl_ms = PG_GETARG_INT32(2);
	if (ttl_ms <= 0 || !key_of(PG_GETARG_TEXT_PP(0), key))
		PG_RETURN_NULL();
	version = PG_GETARG_INT64(1);
	if (shared != NULL)
	{
		Jsonb	   *value = shared_get(key, strlen(key), version, ttl_ms);

		if (value == NULL)
			PG_RETURN_NULL();
		PG_RETURN_JSONB_P(value);
	}
	e = hash_search(cache, key, HASH_FIND, NULL);
	if (e == NULL)
		PG_RETURN_NULL();
	if (e->version != version ||
		TimestampDifferenceExceeds(e->stored, GetCurrentTimestamp(), ttl_ms))
	{
		evict(e);
		PG_RETURN_NULL();
	}
	dlist_move_head(&lru, &e->lru);
	PG_RETURN_JSONB_P((Jsonb *) PG_DETOAST_DATUM_COPY(PointerGetDatum(e->value)));
}

Datum
helpdesk_kb_cache_put(PG_FUNCTION_ARGS)
{
	char		key[KEY_SIZE];
	Jsonb	   *value;
	int32		capacity;
	CacheEntry *e;
	bool		found;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		PG_RETURN_VOID();
	/* the version is this transaction's own change: a rollback may hand its number on */
	if (TransactionIdIsCurrentTransactionId(DatumGetTransactionId(PG_GETARG_DATUM(4))))
		PG_RETURN_VOID();
	capacity = PG_GETARG_INT32(3);
	value = PG_GETARG_JSONB_P(2);
	if (capacity <= 0 || VARSIZE(value) >= VALUE_MAX || !key_of(PG_GETARG_TEXT_PP(0), key))
		PG_RETURN_VOID();
	if (shared != NULL)
	{
		shared_put(key, strlen(key), PG_GETARG_INT64(1), value);
		PG_RETURN_VOID();
	}
	cache_init();
	e = hash_search(cache, key, HASH_ENTER, &found);
	if (found)
	{
		dlist_delete(&e->lru);
		pfree(e->value);
		e->value = NULL;
	}
	else
		n_entries++;
	e->version = PG_GETARG_INT64(1);
	e->stored = GetCurrentTimestamp();
	e->value = MemoryContextAlloc(cache_cxt, VARSIZE(value));
	memcpy(e->value, value, VARSIZE(value));
	dlist_push_head(&lru, &e->lru);
	while (n_entries > capacity && !dlist_is_empty(&lru))
		evict(dlist_container(CacheEntry, lru, dlist_tail_node(&lru)));
	PG_RETURN_VOID();
}
