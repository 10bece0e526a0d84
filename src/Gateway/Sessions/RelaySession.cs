using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Connections;
using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>
/// A relay listener's client paired with its own connection to the upstream server. Bytes are copied both
/// ways in order, each read recorded as a message (<c>in</c> = client→upstream, <c>out</c> =
/// upstream→client); a FIN from either side is passed on after what was already read, and the session
/// closes when both directions are done or either fails. Injections can reach either side; a lock per
/// direction keeps them whole between relayed chunks.
/// </summary>
internal sealed partial class RelaySession : Session
{
    private readonly Socket _client;
    private readonly Stream _clientStream;
    private readonly DialTarget _target;
    private readonly int _bufferSize;
    private readonly SemaphoreSlim _toClient = new(1, 1);
    private readonly SemaphoreSlim _toUpstream = new(1, 1);
    private readonly HoldLane _inLane;
    private readonly HoldLane _outLane;
    private readonly TaskCompletionSource<(DialedConnection Dialed, Stream Stream)> _upstream = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RelaySession(DataPlane plane, ISessionOwner owner, Socket client, SessionShape shape, DialTarget upstream)
        : base(plane, owner, shape)
    {
        _client = client;
        _clientStream = new NetworkStream(client, ownsSocket: false);
        _target = upstream;
        _bufferSize = plane.Options.Tcp.ReceiveBufferBytes;
        _inLane = new HoldLane(plane.Options.Intercept.MaxHeldPerSession, plane.Held.Budget);
        _outLane = new HoldLane(plane.Options.Intercept.MaxHeldPerSession, plane.Held.Budget);
    }

    public override bool CanSendTo(SendTarget target) => true;

    /// <summary>Connects upstream (a failure closes the client with the reason), then relays until done.</summary>
    public async Task RunAsync()
    {
        DialedConnection dialed;
        try
        {
            dialed = await Dialer.DialAsync(_target, TimeSpan.FromSeconds(Plane.Options.Outbound.ConnectTimeoutSeconds), Lifetime)
                .ConfigureAwait(false);
        }
        catch (CommandException ex)
        {
            await CloseAsync($"upstream unreachable: {ex.Message}").ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            return; // closed while connecting
        }

        Stream upstream = dialed.Tls is { } tls ? tls : new NetworkStream(dialed.Socket, ownsSocket: false);
        _upstream.TrySetResult((dialed, upstream));
        if (Lifetime.IsCancellationRequested)
        {
            CloseUpstream(dialed, abort: true); // closed while connecting: CloseTransport did not see this leg
            return;
        }

        var up = PumpAsync(_clientStream, _client, upstream, Direction.In, _toUpstream, () => HalfCloseAsync(upstream, dialed.Socket), "client", "upstream");
        var down = PumpAsync(upstream, dialed.Socket, _clientStream, Direction.Out, _toClient, () => HalfCloseAsync(_clientStream, _client), "upstream", "client");
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        if (await first.ConfigureAwait(false) is { } failure)
        {
            await CloseAsync(failure, abort: true).ConfigureAwait(false);
            return;
        }

        // One side finished sending and the FIN was passed on; the other direction may still be talking.
        var second = await (first == up ? down : up).ConfigureAwait(false);
        await CloseAsync(second ?? (first == up ? "closed by client" : "closed by upstream"), abort: second is not null).ConfigureAwait(false);
    }

    protected override async ValueTask DeliverAsync(byte[] payload, SendTarget target, CancellationToken cancellationToken)
    {
        if (target == SendTarget.Upstream)
        {
            var (_, stream) = await _upstream.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            await WriteAsync(stream, _toUpstream, Direction.In, payload, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await WriteAsync(_clientStream, _toClient, Direction.Out, payload, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        _clientStream.WriteAsync(payload, cancellationToken);

    protected override void CloseTransport(bool abort)
    {
        Plane.Held.Forget(this);
        _inLane.Release();
        _outLane.Release();
        CloseSocket(_client, abort);
        if (_upstream.Task.IsCompletedSuccessfully)
        {
            CloseUpstream(_upstream.Task.Result.Dialed, abort);
        }
    }

    private static void CloseUpstream(DialedConnection dialed, bool abort)
    {
        dialed.Tls?.Dispose();
        CloseSocket(dialed.Socket, abort);
    }

    private static async Task HalfCloseAsync(Stream stream, Socket socket)
    {
        if (stream is SslStream ssl)
        {
            await ssl.ShutdownAsync().ConfigureAwait(false); // close_notify before the FIN
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    private async Task WriteAsync(Stream to, SemaphoreSlim gate, Direction direction, byte[] payload, CancellationToken cancellationToken,
        FaultPlan? faults = null)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Record(direction, payload, faults?.Names);
            if (faults?.Slicer is not { } slicer)
            {
                await to.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                return;
            }

            foreach (var slice in faults.Slices(payload))
            {
                await to.WriteAsync(slice, cancellationToken).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMicroseconds(slicer.DelayUs ?? 0), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Copies one direction until EOF (returns null, after passing the FIN on) or failure (returns the
    /// reason). Idle, it holds no buffer: zero-byte reads wait for data. While interception holds a
    /// message, it and everything read after it go through the direction's hold lane, in order.
    /// </summary>
    private async Task<string?> PumpAsync(Stream from, Socket fromSocket, Stream to, Direction direction, SemaphoreSlim gate, Func<Task> halfClose, string fromName, string toName)
    {
        var lane = direction == Direction.In ? _inLane : _outLane;
        Func<Task> peerGone = () => PeerGoneAsync(fromSocket); // made once: the loop runs per read
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                await lane.WaitForRoomAsync(peerGone, Lifetime).ConfigureAwait(false);
                await WaitForCaptureAsync().ConfigureAwait(false);
                int read;
                try
                {
                    if (buffer is null)
                    {
                        await from.ReadAsync(Memory<byte>.Empty, Lifetime).ConfigureAwait(false);
                        buffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
                    }

                    read = await from.ReadAsync(buffer.AsMemory(0, _bufferSize), Lifetime).ConfigureAwait(false);
                }
                catch (Exception ex) when (DescribeFailure(ex) is { } why)
                {
                    return $"{fromName}: {why}";
                }

                if (read == 0)
                {
                    await lane.CompleteAsync().ConfigureAwait(false); // what was held goes (or is dropped) before the FIN
                    await gate.WaitAsync(Lifetime).ConfigureAwait(false);
                    try
                    {
                        await halfClose().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (DescribeFailure(ex) is { } why)
                    {
                        return $"{toName}: {why}";
                    }
                    finally
                    {
                        gate.Release();
                    }

                    return null;
                }

                if (CanForwardDirectly(direction, lane))
                {
                    // Nothing to hold or fault: write straight from the read buffer, recording only what observers need.
                    if (await ForwardDirectAsync(direction, to, gate, buffer.AsMemory(0, read), toName).ConfigureAwait(false) is { } failed)
                    {
                        return failed;
                    }

                    if (read < _bufferSize)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }

                    continue;
                }

                var payload = buffer.AsSpan(0, read).ToArray();
                if (read < _bufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }

                var held = Owner is GatewayListener { Intercept: { } rule } && rule.Matches(direction, payload)
                    ? Plane.Held.Hold(this, direction, payload)
                    : null;
                if (held is not null || lane.InUse)
                {
                    lane.Enqueue(payload, held, reader => DrainAsync(reader, lane, direction, to, gate, toName));
                    continue;
                }

                if (await ForwardAsync(direction, to, gate, payload, toName).ConfigureAwait(false) is { } stop)
                {
                    return stop.Length == 0 ? null : stop;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return null; // the session is closing
        }
        catch (Exception ex)
        {
            // A bug must close this session with the reason, never leave it open with its sockets.
            SessionLog.PumpFailed(Logger, Id, direction, ex);
            return $"internal error relaying {fromName}→{toName}: {ex.Message}";
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Completes when the peer has closed (FIN) or reset its side, without reading any data: a zero-byte
    /// receive waits for something to read, and nothing readable but nothing available is the end. It goes
    /// to the socket, not the stream: a TLS stream allows one read at a time, and the pump's next read may
    /// start while this one still waits.
    /// </summary>
    private async Task PeerGoneAsync(Socket socket)
    {
        try
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, Lifetime).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return; // reset: the next read reports it
        }

        if (socket.Available > 0)
        {
            await Task.Delay(Timeout.Infinite, Lifetime).ConfigureAwait(false); // data, not an end: wait for room only
        }
    }

    /// <summary>No interception rule, no fault for this direction, nothing waiting in its hold lane.</summary>
    private bool CanForwardDirectly(Direction direction, HoldLane lane) =>
        !lane.InUse && (Owner is not GatewayListener listener || (listener.Intercept is null && !listener.Faults.Any(f => f.AppliesTo(direction))));

    /// <summary>Records and writes one read in place; returns the failure, or null to go on.</summary>
    private async Task<string?> ForwardDirectAsync(Direction direction, Stream to, SemaphoreSlim gate, ReadOnlyMemory<byte> data, string toName)
    {
        await gate.WaitAsync(Lifetime).ConfigureAwait(false);
        try
        {
            RecordCopy(direction, data.Span);
            await to.WriteAsync(data, Lifetime).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (DescribeFailure(ex) is { } why)
        {
            return $"{toName}: {why}";
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Applies faults and writes one message. Returns null to go on, "" when the session was closed by a
    /// limitData fault, or the failure.
    /// </summary>
    private async Task<string?> ForwardAsync(Direction direction, Stream to, SemaphoreSlim gate, byte[] payload, string toName)
    {
        var faults = Owner is GatewayListener listener ? FaultPlan.For(listener.Faults, direction) : FaultPlan.None;
        var (forward, limitReached) = await ApplyFaultsBeforeAsync(faults, direction, payload).ConfigureAwait(false);
        if (forward is null)
        {
            return null; // held back by a timeout fault
        }

        try
        {
            await WriteAsync(to, gate, direction, forward, Lifetime, faults).ConfigureAwait(false);
        }
        catch (Exception ex) when (DescribeFailure(ex) is { } why)
        {
            return $"{toName}: {why}";
        }

        await ApplyFaultsAfterAsync(faults, direction, forward.Length).ConfigureAwait(false);
        if (limitReached)
        {
            await CloseAsync("fault: limitData").ConfigureAwait(false);
            return "";
        }

        return null;
    }

    /// <summary>Forwards a lane's messages in order, each held one once it is decided.</summary>
    private async Task DrainAsync(ChannelReader<HoldLane.Entry> reader, HoldLane lane, Direction direction, Stream to, SemaphoreSlim gate, string toName)
    {
        try
        {
            await foreach (var entry in reader.ReadAllAsync(Lifetime).ConfigureAwait(false))
            {
                var payload = entry.Held is null ? entry.Payload : await entry.Held.Decision.WaitAsync(Lifetime).ConfigureAwait(false);
                if (payload is not null && await ForwardAsync(direction, to, gate, payload, toName).ConfigureAwait(false) is { } stop)
                {
                    if (stop.Length > 0)
                    {
                        _ = CloseAsync(stop, abort: true);
                    }

                    return;
                }

                lane.Done(entry);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The session is closing; what is still held is released by CloseTransport.
        }
        catch (Exception ex)
        {
            SessionLog.PumpFailed(Logger, Id, direction, ex);
            _ = CloseAsync($"internal error relaying held messages: {ex.Message}", abort: true);
        }
    }
}
