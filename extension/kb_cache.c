/*
 * kb_cache.c: a per-connection cache of knowledge-base search answers.
 *
 * helpdesk.kb_cache_get(key text, version bigint, ttl_ms int) -> jsonb or NULL
 * helpdesk.kb_cache_put(key text, version bigint, value jsonb, capacity int) -> void
 *
 * People search for the same things (and suggest asks again at every key stroke), and a search
 * answer is a pure function of its inputs and of the knowledge base: helpdesk.kb_stats.version
 * changes with every article, publication and synonym change, so an answer cached under an
 * older version is never served. ttl_ms bounds how stale the view and vote counters shown in
 * an answer may get (they change without bumping the version). The cache lives in the
 * backend's memory, so it needs no locking and dies with the connection; at most `capacity`
 * answers, the least recently used go first; keys of 256 bytes or more and answers of 256 kB
 * or more are not cached.
 *
 * bench/kb.sh measures search with and without it (setting 'kb_search_cache_ms' = 0).
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/ilist.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(helpdesk_kb_cache_get);
PG_FUNCTION_INFO_V1(helpdesk_kb_cache_put);

#define KEY_SIZE 256
#define VALUE_MAX (256 * 1024)

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

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || cache == NULL)
		PG_RETURN_NULL();
	ttl_ms = PG_GETARG_INT32(2);
	if (ttl_ms <= 0 || !key_of(PG_GETARG_TEXT_PP(0), key))
		PG_RETURN_NULL();
	version = PG_GETARG_INT64(1);
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

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_VOID();
	capacity = PG_GETARG_INT32(3);
	value = PG_GETARG_JSONB_P(2);
	if (capacity <= 0 || VARSIZE(value) >= VALUE_MAX || !key_of(PG_GETARG_TEXT_PP(0), key))
		PG_RETURN_VOID();
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
