using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Configuration;
using Gateway.Listeners;
using Gateway.Sessions;
using Gateway.Traffic;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Unit.Sessions;

/// <summary>The TCP read loop over real loopback sockets, with the data plane and no web host.</summary>
public sealed class TcpSessionTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TrafficEventBus _bus = new();
    private readonly ObserverSubscription _events;
    private readonly DataPlane _plane;
    private readonly StreamGatewayListener _listener;

    public TcpSessionTests()
    {
        var options = Options.Create(new GatewayOptions { Tcp = { ReceiveBufferBytes = 1024 } });
        _plane = Infrastructure.TestDataPlane.Create(_bus, options);
        _events = _bus.Subscribe("test", 10_000, long.MaxValue);
        _listener = new StreamGatewayListener(_plane, new ListenerOptions { Name = "t", Address = "127.0.0.1", Port = 0 }, ListenerProtocol.Tcp);
    }

    public Task InitializeAsync()
    {
        _listener.Bind();
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _listener.StopAsync("test over", TimeSpan.FromSeconds(1));

    [Fact]
    public async Task PeerSendsThenCloses_BytesRecordedThenClosedByPeer()
    {
        using var client = await ConnectAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("abc"));
        client.Shutdown(SocketShutdown.Send);

        var closed = await NextAsync<SessionClosed>();
        Assert.Equal("closed by peer", closed.Session.CloseReason);
        Assert.Equal(3, closed.Session.BytesIn);
        Assert.Equal(1, closed.Session.MessagesIn);
    }

    [Fact]
    public async Task PeerResetsMidRead_SessionClosesWithResetReason_NoSpin()
    {
        using var client = await ConnectAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("partial fra"));
        var message = await NextAsync<TrafficMessage>();
        Assert.Equal("partial fra", Encoding.ASCII.GetString(message.Data));
        var session = _plane.Sessions.FindOpen(message.SessionId)!;

        // The session is now waiting in a read; the peer hangs up hard.
        client.LingerState = new LingerOption(true, 0);
        client.Close();

        var closed = await NextAsync<SessionClosed>();
        Assert.Equal("connection reset by peer", closed.Session.CloseReason);
        await session.Completion.WaitAsync(Timeout);
        await Task.Delay(100);
        Assert.False(_events.TryRead(out var extra), $"nothing may follow the close, got {extra}");
        Assert.Equal(0, _listener.Snapshot().Sessions);
    }

    [Fact]
    public async Task ReadsLargerThanTheBuffer_AreSplitAndKeptInOrder()
    {
        using var client = await ConnectAsync();
        var payload = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        await client.SendAsync(payload);
        client.Shutdown(SocketShutdown.Send);

        var received = new List<byte>();
        var seqs = new List<long>();
        while (true)
        {
            var e = await NextAsync<TrafficEvent>();
            if (e is TrafficMessage m)
            {
                Assert.True(m.Size <= 1024);
                received.AddRange(m.Data);
                seqs.Add(m.Seq);
            }
            else if (e is SessionClosed)
            {
                break;
            }
        }

        Assert.Equal(payload, received);
        Assert.Equal(seqs.Order(), seqs);
    }

    [Fact]
    public async Task InjectedPayloads_ArriveInOrder_AndAreRecordedOut()
    {
        using var client = await ConnectAsync();
        var opened = await NextAsync<SessionOpened>();
        var session = _plane.Sessions.FindOpen(opened.Session.Id)!;

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(SendOutcome.Accepted, session.TryEnqueue(Encoding.ASCII.GetBytes($"{i:D3}")));
        }

        var buffer = new byte[300];
        var read = 0;
        using var cts = new CancellationTokenSource(Timeout);
        while (read < buffer.Length)
        {
            read += await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
        }

        Assert.Equal(string.Concat(Enumerable.Range(0, 100).Select(i => $"{i:D3}")), Encoding.ASCII.GetString(buffer));
        await session.CloseAsync("test").WaitAsync(Timeout);
        Assert.Equal(300, session.Snapshot().BytesOut);
        Assert.Equal(SendOutcome.Closed, session.TryEnqueue([1]));
    }

    private async Task<Socket> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _listener.Port)).WaitAsync(Timeout);
        return client;
    }

    private async Task<T> NextAsync<T>() where T : TrafficEvent
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            await _events.WaitToReadAsync(cts.Token);
            while (_events.TryRead(out var e))
            {
                if (e is T match)
                {
                    return match;
                }
            }
        }
    }
}
