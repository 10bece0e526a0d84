using Gateway.Capture;
using Gateway.Framing;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Tests.Infrastructure;
using Gateway.Traffic;
using Microsoft.Data.Sqlite;

namespace Gateway.Tests.Unit.Capture;

public sealed class SqliteCaptureStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string File => Path.Combine(_folder.Path, "nested", "capture.db");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Open_NewFile_CreatesFolderSchemaVersionAndWal()
    {
        await using (var store = new SqliteCaptureStore($"Data Source={File}", "/"))
        {
            Assert.Equal(new CaptureHighWater(0, 0), await store.OpenAsync(CancellationToken.None).Within());
        }

        Assert.Equal((long)SqliteSchema.Version, Scalar("PRAGMA user_version"));
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Open_RelativePath_ResolvedAgainstContentRoot()
    {
        await using var store = new SqliteCaptureStore("Data Source=nested/capture.db", _folder.Path);
        await store.OpenAsync(CancellationToken.None).Within();
        Assert.Equal(File, store.Location);
        Assert.True(System.IO.File.Exists(File));
    }

    [Fact]
    public async Task Open_AfterWrites_ContinuesAboveHighWaterAndClosesOrphans()
    {
        var opened = DateTimeOffset.UtcNow;
        await using (var store = new SqliteCaptureStore($"Data Source={File}", "/"))
        {
            await store.OpenAsync(CancellationToken.None).Within();
            var session = new SessionInfo(7, "tcp", SessionKind.Accepted, ListenerProtocol.Tcp, FramingMode.Raw, null, "127.0.0.1:5", "127.0.0.1:6", null,
                SessionState.Open, opened, null, null, 0, 0, 0, 0);
            TrafficEvent[] batch =
            [
                new SessionOpened(session),
                new TrafficMessage(41, 7, "tcp", Direction.In, opened.AddSeconds(1), "abc"u8.ToArray()),
                new TrafficMessage(42, 7, "tcp", Direction.Out, opened.AddSeconds(2), "de"u8.ToArray()),
            ];
            await store.WriteAsync(batch, new CaptureHighWater(50, 9), CancellationToken.None).Within();
        }

        await using (var store = new SqliteCaptureStore($"Data Source={File}", "/"))
        {
            // The data plane had issued seq 50 and session 9 at the last commit: both continue above those.
            Assert.Equal(new CaptureHighWater(50, 9), await store.OpenAsync(CancellationToken.None).Within());
            var orphan = (await store.GetSessionAsync(7, CancellationToken.None).Within())!;
            Assert.Equal(SessionState.Closed, orphan.State);
            Assert.Equal("gateway restarted", orphan.CloseReason);
            Assert.Equal((3, 2, 1, 1), (orphan.BytesIn, orphan.BytesOut, orphan.MessagesIn, orphan.MessagesOut));
            Assert.Equal(opened.AddSeconds(2).ToUnixTimeMilliseconds(), orphan.ClosedAt!.Value.ToUnixTimeMilliseconds());
        }
    }

    [Fact]
    public async Task Open_SchemaFromANewerGateway_RefusedWithAClearMessage()
    {
        await using (var store = new SqliteCaptureStore($"Data Source={File}", "/"))
        {
            await store.OpenAsync(CancellationToken.None).Within();
        }

        Execute("PRAGMA user_version = 99");
        await using var newer = new SqliteCaptureStore($"Data Source={File}", "/");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.OpenAsync(CancellationToken.None)).Within();
        Assert.Contains("schema version 99", error.Message);
        Assert.Contains("ConnectionStrings:Capture", error.Message);
    }

    [Fact]
    public async Task LargePayloads_KeptInASegment_ReadBackWhole_Searched_AndFoundAfterARestart()
    {
        var at = DateTimeOffset.UtcNow;
        var large = new byte[200_000];
        new Random(7).NextBytes(large);
        "NEEDLE"u8.CopyTo(large.AsSpan(123_456));
        await using (var store = new SqliteCaptureStore($"Data Source={File}", "/"))
        {
            await store.OpenAsync(CancellationToken.None).Within();
            await store.WriteAsync([Session(7, at), new TrafficMessage(1, 7, "tcp", Direction.In, at, large), new TrafficMessage(2, 7, "tcp", Direction.Out, at, "small"u8.ToArray())],
                new CaptureHighWater(2, 7), CancellationToken.None).Within();

            // The large one's bytes are in a segment file, its row says where; the small one stays in its row.
            Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM messages WHERE seq = 1 AND data IS NULL AND seg_len = 200000"));
            Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM messages WHERE seq = 2 AND data IS NOT NULL AND seg IS NULL"));
            var segment = Assert.Single(Directory.GetFiles(store.SegmentFolder));
            Assert.Equal(200_000, new FileInfo(segment).Length);

            var read = await store.FindMessagesAsync(new MessageQuery { SessionId = 7 }, CancellationToken.None).Within();
            Assert.Equal(large, read[0].Data.ToArray());
            Assert.False(read[0].Truncated);
            Assert.Equal("small"u8.ToArray(), read[1].Data.ToArray());
            var found = await store.FindMessagesAsync(new MessageQuery { Patterns = ["NEEDLE"u8.ToArray()] }, CancellationToken.None).Within();
            Assert.Equal(1, Assert.Single(found).Seq);
        }

        await using (var store = new SqliteCaptureStore($"Data Source={File}", "/"))
        {
            await store.OpenAsync(CancellationToken.None).Within();
            Assert.Equal(large, (await store.FindMessagesAsync(new MessageQuery { SessionId = 7, Limit = 1 }, CancellationToken.None).Within())[0].Data.ToArray());
            // A new process appends to a new segment: whatever a crash left at the old one's end is never in the way.
            await store.WriteAsync([new TrafficMessage(3, 7, "tcp", Direction.In, at, large)], new CaptureHighWater(3, 7), CancellationToken.None).Within();
            Assert.Equal(2, Directory.GetFiles(store.SegmentFolder).Length);
            Assert.Equal(large, (await store.FindMessagesAsync(new MessageQuery { SessionId = 7, AfterSeq = 2 }, CancellationToken.None).Within())[0].Data.ToArray());
        }
    }

    [Fact]
    public async Task Retention_RemovesTheSegmentsNoRowPointsInto_TheRestStillRead()
    {
        var at = DateTimeOffset.UtcNow;
        await using var store = new SqliteCaptureStore($"Data Source={File}", "/", segmentBytes: 100_000);
        await store.OpenAsync(CancellationToken.None).Within();
        await store.WriteAsync([Session(7, at)], new CaptureHighWater(0, 7), CancellationToken.None).Within();
        for (var seq = 1; seq <= 5; seq++)
        {
            // 60 kB each: no two fit in one 100 kB segment, so each message has a segment of its own.
            await store.WriteAsync([new TrafficMessage(seq, 7, "tcp", Direction.In, at, Enumerable.Repeat((byte)seq, 60_000).ToArray())],
                new CaptureHighWater(seq, 7), CancellationToken.None).Within();
        }

        Assert.Equal(5, Directory.GetFiles(store.SegmentFolder).Length);
        await store.PruneAsync(150_000, DateTimeOffset.MinValue, CancellationToken.None).Within();

        var left = await store.FindMessagesAsync(new MessageQuery { SessionId = 7 }, CancellationToken.None).Within();
        Assert.NotEmpty(left);
        Assert.True(left.Count < 5);
        Assert.All(left, m => Assert.Equal(Enumerable.Repeat((byte)m.Seq, 60_000), m.Data.ToArray()));
        Assert.Equal(left.Count, Directory.GetFiles(store.SegmentFolder).Length); // the pruned messages' segments are gone
    }

    [Fact]
    public async Task AnnotationChanges_ListEachPlaceOnce_InTheOrderOfItsLastChange_RemovalsIncluded()
    {
        await using var store = new SqliteCaptureStore($"Data Source={File}", "/");
        await store.OpenAsync(CancellationToken.None).Within();
        var starred = new Annotations(true, ["a"], null);
        await store.SetAnnotationsAsync(7, 0, starred, CancellationToken.None).Within();
        await store.SetAnnotationsAsync(7, 3, new Annotations(false, [], "first"), CancellationToken.None).Within();
        await store.SetAnnotationsAsync(8, 0, starred, CancellationToken.None).Within();
        await store.SetAnnotationsAsync(7, 3, new Annotations(false, [], "second"), CancellationToken.None).Within(); // the same place again: moves to the end
        await store.SetAnnotationsAsync(8, 0, new Annotations(false, [], null), CancellationToken.None).Within(); // removed

        var all = await store.AnnotationChangesAsync(0, 100, CancellationToken.None).Within();
        Assert.Equal(["7/0 a", "7/3 second", "8/0 removed"], all.Select(c => $"{c.SessionId}/{c.Seq} {(c.Annotations is { } a ? a.Note ?? string.Join(",", a.Tags) : "removed")}"));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Change < p.Second.Change));

        // After a mark: only what changed later, within the limit.
        Assert.Equal([all[2].Change], (await store.AnnotationChangesAsync(all[1].Change, 100, CancellationToken.None).Within()).Select(c => c.Change));
        Assert.Single(await store.AnnotationChangesAsync(0, 1, CancellationToken.None).Within());
    }

    private static SessionOpened Session(long id, DateTimeOffset at) => new(new SessionInfo(id, "tcp", SessionKind.Accepted, ListenerProtocol.Tcp, FramingMode.Raw, null,
        "127.0.0.1:5", "127.0.0.1:6", null, SessionState.Open, at, null, null, 0, 0, 0, 0));

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Mode=Memory;Data Source=x")]
    [InlineData("")]
    public void Create_NoFile_RefusedWithAClearMessage(string connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new SqliteCaptureStore(connectionString, "/"));
        Assert.Contains("ConnectionStrings:Capture must name a database file", error.Message);
    }

    private object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={File};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private void Execute(string sql) => Scalar(sql);
}
