using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Connections;
using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>
/// A client endpoint of a UDP relay listener with its own socket connected to the upstream: datagrams
/// from the client go out on that socket (<c>in</c>), the upstream's answers go back to the client from
/// the listener's port (<c>out</c>). Closed by the listener's idle timeout like any UDP session.
/// </summary>
internal sealed class UdpRelaySession : Session, IDatagramSession
{
    private const int MaxWaitingDatagrams = 4096;

    private readonly UdpGatewayListener _listener;
    private readonly DialTarget _target;
    private readonly TaskCompletionSource<Socket> _upstream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _waitingBytes;
    private long _dropped;
    private long _droppedBytes;
    private long _lastDropReport = long.MinValue / 2;
    private readonly Channel<byte[]> _toUpstream = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(MaxWaitingDatagrams) { FullMode = BoundedChannelFullMode.Wait });

    public UdpRelaySession(DataPlane plane, UdpGatewayListener listener, IPEndPoint remote, DialTarget upstream, string upstreamText)
        : base(plane, listener, new SessionShape(ListenerProtocol.Udp, SessionKind.Relay,
            EndpointText.Format(remote), EndpointText.Format(listener.LocalEndPoint), Upstream: upstreamText))
    {
        _listener = listener;
        _target = upstream;
        RemoteEndPoint = remote;
    }

    public IPEndPoint RemoteEndPoint { get; }

    public override bool CanSendTo(SendTarget target) => true;

    /// <summary>
    /// A datagram from the client, queued to be forwarded in order (and recorded as it goes). Like the
    /// network itself, a relay that cannot keep up (or holds a message, or waits out a latency fault)
    /// drops datagrams rather than queue them without bound: at most <c>MaxWaitingDatagrams</c> and the
    /// hold budget's bytes. Losses are counted, and logged at most once a second.
    /// </summary>
    public void OnDatagram(ReadOnlySpan<byte> datagram)
    {
        var budget = Plane.Held.Budget;
        if (!budget.TryTake(ref _waitingBytes, datagram.Length))
        {
            Dropped(datagram.Length);
            return;
        }

        var payload = datagram.ToArray();
        if (!_toUpstream.Writer.TryWrite(payload))
        {
            budget.Give(ref _waitingBytes, payload.Length);
            Dropped(payload.Length);
        }
    }

    private void Dropped(int bytes)
    {
        Interlocked.Increment(ref _dropped);
        Interlocked.Add(ref _droppedBytes, bytes);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastDropReport);
        if (now - last >= 1000 && Interlocked.CompareExchange(ref _lastDropReport, now, last) == last)
        {
            SessionLog.RelayDropped(Logger, Id, Interlocked.Exchange(ref _dropped, 0), Interlocked.Exchange(ref _droppedBytes, 0));
        }
    }

    protected override void OnStarted() => _ = RunAsync();

    protected override async ValueTask DeliverAsync(byte[] payload, SendTarget target, CancellationToken cancellationToken)
    {
        if (target != SendTarget.Upstream)
        {
            await base.DeliverAsync(payload, target, cancellationToken).ConfigureAwait(false);
            return;
        }

        var socket = await _upstream.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        Record(Direction.In, payload);
        await socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    protected override async ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        await _listener.SendToAsync(payload, RemoteEndPoint, cancellationToken).ConfigureAwait(false);

    protected override void CloseTransport(bool abort)
    {
        _toUpstream.Writer.TryComplete();
        while (_toUpstream.Reader.TryRead(out var waiting))
        {
            Plane.Held.Budget.Give(ref _waitingBytes, waiting.Length);
        }

        if (_upstream.Task.IsCompletedSuccessfully)
        {
            _upstream.Task.Result.Dispose();
        }
    }

    private async Task RunAsync()
    {
        Socket socket;
        try
        {
            socket = (await Dialer.DialAsync(_target, TimeSpan.FromSeconds(Plane.Options.Outbound.ConnectTimeoutSeconds), Lifetime)
                .ConfigureAwait(false)).Socket;
        }
        catch (CommandException ex)
        {
            await CloseAsync($"upstream unreachable: {ex.Message}").ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        _upstream.TrySetResult(socket);
        if (Lifetime.IsCancellationRequested)
        {
            socket.Dispose();
            return;
        }

        var forwarding = ForwardAsync(socket);
        var reason = await ReceiveAsync(socket).ConfigureAwait(false);
        await CloseAsync(reason ?? "closed").ConfigureAwait(false);
        await forwarding.ConfigureAwait(false);
    }

    private async Task ForwardAsync(Socket socket)
    {
        try
        {
            await foreach (var received in _toUpstream.Reader.ReadAllAsync(Lifetime).ConfigureAwait(false))
            {
                try
                {
                    await RelayAsync(Direction.In, received, p => socket.SendAsync(p, SocketFlags.None, Lifetime)).ConfigureAwait(false);
                }
                finally
                {
                    Plane.Held.Budget.Give(ref _waitingBytes, received.Length);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Closing; a send error surfaces on the receive side as well.
        }
        catch (Exception ex)
        {
            SessionLog.PumpFailed(Logger, Id, Direction.In, ex);
            await CloseAsync($"internal error relaying client→upstream: {ex.Message}", abort: true).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One datagram through the pipeline: the rules (a reply goes back to its sender; drop and close stop it,
    /// recorded all the same), a hold until it is forwarded or dropped, then the faults and the send.
    /// </summary>
    private async Task RelayAsync(Direction direction, byte[] received, Func<byte[], ValueTask<int>> send)
    {
        if (!PassRules(direction, received, out var outcome))
        {
            return; // not forwarded (recorded with the rules that stopped it)
        }

        var payload = outcome?.Replaced ?? received;
        if (outcome?.Hold == true)
        {
            if (await Plane.Held.HoldAsync(this, direction, payload, Lifetime).ConfigureAwait(false) is not { } decided)
            {
                return; // dropped by a user
            }

            payload = decided; // as held, or as edited
        }

        var faults = FaultPlan.For(Owner.Policy.Faults, outcome?.Faults, direction);
        Record(direction, payload, faults.Names, outcome: outcome);
        await SendWithFaultsAsync(faults, payload, send).ConfigureAwait(false);
    }

    /// <summary>Latency, then 0 (lost), 1 or 2 (duplicated) copies, then the bandwidth cap's pause.</summary>
    private async Task SendWithFaultsAsync(FaultPlan faults, byte[] payload, Func<byte[], ValueTask<int>> send)
    {
        await faults.WaitLatencyAsync(Lifetime).ConfigureAwait(false);

        for (var copy = 0; copy < faults.Copies; copy++)
        {
            await send(payload).ConfigureAwait(false);
        }

        await faults.PaceAsync(payload.Length, Lifetime).ConfigureAwait(false);
    }

    /// <summary>The upstream's datagrams back to the client; returns why it stopped (null when closing).</summary>
    private async Task<string?> ReceiveAsync(Socket socket)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(UdpGatewayListener.MaxDatagram);
        try
        {
            while (true)
            {
                await WaitForCaptureAsync().ConfigureAwait(false);
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, Lifetime).ConfigureAwait(false);
                await RelayAsync(Direction.Out, buffer.AsSpan(0, read).ToArray(), p => _listener.SendToAsync(p, RemoteEndPoint, Lifetime)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return "upstream unreachable (ICMP port unreachable)";
        }
        catch (SocketException ex)
        {
            return $"upstream: {Describe(ex)}";
        }
        catch (Exception ex)
        {
            SessionLog.PumpFailed(Logger, Id, Direction.Out, ex);
            return $"internal error relaying upstream→client: {ex.Message}";
        }
    }
}
