using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Configuration;
using Gateway.Intercept;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Tests.Infrastructure;
using Gateway.Traffic;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Unit.Sessions;

/// <summary>A relay direction's hold lane: order behind a held message, bounds in entries and bytes, the budget given back.</summary>
public sealed class HoldLaneTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TrafficEventBus _bus = new();
    private readonly DataPlane _plane;
    private readonly StreamGatewayListener _listener;
    private Socket _client = null!;
    private Session _session = null!;

    public HoldLaneTests()
    {
        var options = Options.Create(new GatewayOptions());
        _plane = TestDataPlane.Create(_bus, options);
        _listener = new StreamGatewayListener(_plane, new ListenerOptions { Name = "t", Address = "127.0.0.1", Port = 0 }, ListenerProtocol.Tcp);
    }

    public async Task InitializeAsync()
    {
        // A held message belongs to a session: a real one, from a loopback connection.
        _listener.Bind();
        _listener.Start();
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await _client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _listener.Port)).WaitAsync(Timeout);
        while (_plane.Sessions.ListOpen().FirstOrDefault() is not { } session)
        {
            await Task.Delay(10);
        }

        _session = _plane.Sessions.ListOpen()[0];
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _listener.StopAsync("test over", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task HeldFirst_LaterMessagesWaitBehindIt_InOrder_EditedOneGoesFirst()
    {
        var budget = new HoldBudget(1_000_000, 1_000_000);
        var lane = new HoldLane(10, budget);
        var forwarded = Channel.CreateUnbounded<string>();
        Task Drain(ChannelReader<HoldLane.Entry> reader) => Task.Run(async () =>
        {
            await foreach (var entry in reader.ReadAllAsync())
            {
                var payload = entry.Held is null ? entry.Payload : await entry.Held.Decision;
                if (payload is not null)
                {
                    await forwarded.Writer.WriteAsync(System.Text.Encoding.ASCII.GetString(payload));
                }

                lane.Done(entry);
            }
        });

        var held = _plane.Held.Hold(_session, Direction.In, "secret=1"u8.ToArray());
        lane.Enqueue(Entry("secret=1", held), Drain);
        lane.Enqueue(Entry(";a", null), Drain);
        lane.Enqueue(Entry(";b", null), Drain);
        Assert.True(lane.InUse);
        Assert.Equal(12, budget.Bytes);

        // Nothing passes the held message: the marker is the decision itself.
        Assert.False(forwarded.Reader.TryRead(out _));
        _plane.Held.Forward(held.Id, "secret=***"u8.ToArray());
        Assert.Equal("secret=***", await forwarded.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal(";a", await forwarded.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal(";b", await forwarded.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        await lane.CompleteAsync().WaitAsync(Timeout);
        Assert.False(lane.InUse);
        Assert.Equal(0, budget.Bytes);
    }

    [Fact]
    public async Task PastItsBytes_TheLaneSaysWait_UntilAnEntryIsDone_ReleaseGivesEverythingBack()
    {
        var budget = new HoldBudget(maxPerSession: 10, max: 1_000);
        var lane = new HoldLane(100, budget);
        var entries = new List<HoldLane.Entry>();
        Task Keep(ChannelReader<HoldLane.Entry> reader) => Task.Run(async () =>
        {
            await foreach (var entry in reader.ReadAllAsync())
            {
                lock (entries)
                {
                    entries.Add(entry);
                }
            }
        });

        var held = _plane.Held.Hold(_session, Direction.In, new byte[8]);
        lane.Enqueue(new HoldLane.Entry(new byte[8], new byte[8], held, null), Keep);
        lane.Enqueue(new HoldLane.Entry(new byte[4], new byte[4], null, null), Keep); // 12 bytes: past the 10 a session may keep
        var never = new TaskCompletionSource();
        var waiting = lane.WaitForRoomAsync(() => never.Task, CancellationToken.None).AsTask();
        await Task.Yield();
        Assert.False(waiting.IsCompleted);

        await Timeouts.Eventually(() => Task.FromResult(entries.Count == 2 ? "" : null), "both entries handed to the drainer");
        lane.Done(entries[1]); // 8 bytes left: room again
        await waiting.WaitAsync(Timeout);

        lane.Release();
        Assert.Equal(0, budget.Bytes);
        lane.Done(entries[0]); // after a release, a late Done gives nothing back twice
        Assert.Equal(0, budget.Bytes);
    }

    private static HoldLane.Entry Entry(string text, HeldMessage? held)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        return new HoldLane.Entry(bytes, bytes, held, null);
    }
}
