using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Tests.Storage;

/// <summary>The FASTER index: persisted key bytes that never change, and a rebuild when the owner's schema changes.</summary>
public sealed class KvIndexTests
{
    [Theory]
    [InlineData("stamp-id", "019ab0c4-4c8e-7d2e-9a63-3f7f4b3c2a10")]
    [InlineData("idempotency", "")]
    [InlineData("document-hash", "Zoë ✓ 𝄞")]
    [InlineData("kid-seq", 300)]
    [InlineData("kid-seq", 5000)]
    [InlineData("a-namespace-of-some-length", 700)]
    public void an_index_key_is_sha256_of_the_namespace_a_newline_and_the_value(string space, object value)
    {
        string v = value as string ?? new string('x', (int)value);
        var expected = MemoryMarshal.Read<IndexKey>(SHA256.HashData(Encoding.UTF8.GetBytes(space + "\n" + v)));
        Assert.Equal(expected, IndexKey.For(space, v));
        Assert.Equal(expected, IndexKey.For(space, Encoding.UTF8.GetBytes(v)));
    }

    [Fact]
    public Task an_index_checkpointed_under_another_schema_opens_empty_so_the_log_is_applied_again() => InTempDir(async dir =>
    {
        var key = IndexKey.For("test", "k");
        using (var kv = new KvIndex(dir, schema: 1))
        {
            kv.Put(key, new IndexValue(3, 0, 0));
            await kv.Checkpoint(5);
        }
        using (var kv = new KvIndex(dir, schema: 1))
        {
            Assert.Equal(5, kv.AppliedUpTo);
            Assert.True(kv.TryGet(key, out var v) && v.A == 3);
        }
        using (var kv = new KvIndex(dir, schema: 2))
        {
            Assert.Equal(0, kv.AppliedUpTo);
            Assert.False(kv.TryGet(key, out _));
            await kv.Checkpoint(1);
        }
        using (var kv = new KvIndex(dir, schema: 2)) Assert.Equal(1, kv.AppliedUpTo);
    });

    [Fact]
    public Task every_key_survives_a_checkpoint_whose_hash_table_is_written_in_pieces() => InTempDir(async dir =>
    {
        // The hash table dump is 64 MB whatever the key count, so it is always written in many 1 MiB pieces; keys land
        // all over it.
        using (var kv = new KvIndex(dir, schema: 1))
        {
            for (int i = 0; i < 20_000; i++) kv.Put(IndexKey.For("test", i.ToString()), new IndexValue(i, -i, 7));
            await kv.Checkpoint(20_000);
        }
        using (var kv = new KvIndex(dir, schema: 1))
        {
            Assert.Equal(20_000, kv.AppliedUpTo);
            for (int i = 0; i < 20_000; i++)
                Assert.True(kv.TryGet(IndexKey.For("test", i.ToString()), out var v) && v == new IndexValue(i, -i, 7), $"key {i}");
        }
    });

    [Fact]
    public Task checkpoint_files_are_written_by_a_thread_at_the_lowest_cpu_priority() => InTempDir(async dir =>
    {
        using (var kv = new KvIndex(dir, schema: 1)) await kv.Checkpoint(0);
        // /proc/self/task/<tid>/comm holds the thread's name; field 19 of its stat is the nice value. Other
        // threads (of other tests) may end between the listing and the read.
        static string? Read(string path)
        {
            try { return File.ReadAllText(path); }
            catch (IOException) { return null; }
        }
        var writers = Directory.GetDirectories("/proc/self/task")
            .Where(t => Read(Path.Combine(t, "comm"))?.Trim() == "kv checkpoint")
            .Select(t => Read(Path.Combine(t, "stat")))
            .ToList();
        var stat = Assert.Single(writers)!;
        Assert.Equal("19", stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
    });

    private static async Task InTempDir(Func<string, Task> test)
    {
        string dir = Path.Combine(Path.GetTempPath(), "attest-kv-" + Guid.NewGuid().ToString("N"));
        try
        {
            await test(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
