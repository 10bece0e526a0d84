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
