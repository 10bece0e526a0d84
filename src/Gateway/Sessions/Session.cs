using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Framing;
using Gateway.Listeners;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>
/// One conversation with one peer: a TCP connection, or a UDP remote endpoint. Records every chunk both
/// ways as a <see cref="TrafficMessage"/> for the observers (the hub, the capture store), and writes injected payloads to the peer
/// in order from its own outbox, so a peer that does not read slows only its own session.
/// </summary>
internal abstract partial class Session
{
    private readonly object _gate = new();
    private Channel<Outgoing>? _outbox; // made on the first send: most sessions never get one, and a channel costs 1.5 KiB
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private Task? _writer;
    private bool _closing;
    private long _pendingBytes;
    private long _bytesIn;
    private long _bytesOut;
    private long _messagesIn;
    private long _messagesOut;
    private long _lastActivityTicks;
    private DateTimeOffset? _closedAt;
    private string? _closeReason;

    protected Session(DataPlane plane, ISessionOwner owner, SessionShape shape)
    {
        Plane = plane;
        Owner = owner;
        Id = plane.NextSessionId();
        Protocol = shape.Protocol;
        Upstream = shape.Upstream;
        Kind = shape.Kind;
        Format = shape.Framing ?? FrameFormat.Raw;
        Tls = shape.Tls;
        Remote = shape.Remote;
        Local = shape.Local;
        OpenedAt = plane.Now;
        _lastActivityTicks = OpenedAt.UtcTicks;
        Capture = owner.Capture;
        Logger = plane.SessionLogger;
    }

    public long Id { get; }

    public ISessionOwner Owner { get; }

    public string? ListenerId => Owner.ListenerId;

    public ListenerProtocol Protocol { get; }

    public SessionKind Kind { get; }

    /// <summary>How each direction's bytes are cut into messages (fixed when the session opens).</summary>
    public FrameFormat Format { get; }

    public FramingMode Framing => Format.Mode;

    public bool Tls { get; }

    private Tls.SessionTlsInfo? _tlsInfo;

    /// <summary>The server a relay session forwards to; null otherwise.</summary>
    public string? Upstream { get; }

    public string Remote { get; }

    public string Local { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>How the capture store records this session (its listener's policy when it opened).</summary>
    public Capture.CapturePolicy Capture { get; }

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_closing;
            }
        }
    }

    /// <summary>Completes once the session is closed and its <see cref="SessionClosed"/> event published.</summary>
    public Task Completion => _closed.Task;

    public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivityTicks), TimeSpan.Zero);

    /// <summary>Injected bytes accepted but not yet written to the peer.</summary>
    public long PendingSendBytes => Interlocked.Read(ref _pendingBytes);

    protected DataPlane Plane { get; }

    protected ILogger Logger { get; }

    /// <summary>Cancelled when the session closes; every socket operation of the session takes it.</summary>
    protected CancellationToken Lifetime => _lifetime.Token;

    public SessionInfo Snapshot()
    {
        lock (_gate)
        {
            return new SessionInfo(
                Id, ListenerId, Kind, Protocol, Framing, Tls ? _tlsInfo ?? new Tls.SessionTlsInfo(null, null) : null, Remote, Local, Upstream,
                _closedAt is null ? SessionState.Open : SessionState.Closed,
                OpenedAt, _closedAt, _closeReason,
                _bytesIn, _bytesOut, _messagesIn, _messagesOut, Capture.Mode, Node: Plane.Node.Id);
        }
    }

    /// <summary>Records how the TLS handshakes went (either side may be null) and tells the observers.</summary>
    public void SetTls(Tls.ClientTlsInfo? client, Tls.UpstreamTlsInfo? upstream)
    {
        lock (_gate)
        {
            _tlsInfo = new Tls.SessionTlsInfo(client ?? _tlsInfo?.Client, upstream ?? _tlsInfo?.Upstream);
        }

        Plane.Bus.Publish(new SessionUpdated(Snapshot()));
    }

    /// <summary>Announces the session. Called once by its listener, before any traffic is recorded.</summary>
    public void Start()
    {
        Plane.Sessions.Add(this);
        Plane.Totals.SessionOpened();
        Owner.OnSessionOpened();
        Plane.Bus.Publish(new SessionOpened(Snapshot()));
        SessionLog.Opened(Logger, Id, Owner.Name, Remote);
        OnStarted();
    }

    /// <summary>Queues a payload for the peer. Never waits: the session's own writer delivers it in order.</summary>
    public SendOutcome TryEnqueue(byte[] payload, SendTarget target = SendTarget.Client) => TryEnqueue(payload, target, null);

    /// <summary>
    /// Sends <paramref name="payload"/> behind anything already queued and completes once it is written;
    /// false when the session closed first. Waits (rather than refusing) while the outbox is full.
    /// </summary>
    public async Task<bool> SendAsync(byte[] payload, CancellationToken cancellationToken)
    {
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (true)
        {
            switch (TryEnqueue(payload, SendTarget.Client, delivered))
            {
                case SendOutcome.Closed:
                    return false;
                case SendOutcome.QueueFull:
                    await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                    continue;
            }

            await Task.WhenAny(delivered.Task, Completion).WaitAsync(cancellationToken).ConfigureAwait(false);
            return delivered.Task.IsCompleted;
        }
    }

    private SendOutcome TryEnqueue(byte[] payload, SendTarget target, TaskCompletionSource? delivered)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return SendOutcome.Closed;
            }

            // One payload larger than the bound still goes through when nothing else is waiting.
            if (_pendingBytes > 0 && _pendingBytes + payload.Length > Plane.Options.Limits.MaxPendingSendBytes)
            {
                return SendOutcome.QueueFull;
            }

            _outbox ??= Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
            _outbox.Writer.TryWrite(new Outgoing(payload, target, delivered));
            Interlocked.Add(ref _pendingBytes, payload.Length);
            _writer ??= Task.Run(WriteLoopAsync);
            return SendOutcome.Accepted;
        }
    }

    /// <summary>
    /// Closes the session once; later calls return the same task. Graceful: what was already queued is
    /// written first (for up to the shutdown timeout), then the transport is closed (TCP: FIN).
    /// <paramref name="abort"/> skips the queue and resets the connection (TCP: RST).
    /// </summary>
    public Task CloseAsync(string reason, bool abort = false)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return _closed.Task;
            }

            _closing = true;
            _outbox?.Writer.TryComplete();
        }

        _ = CloseCoreAsync(reason, abort);
        return _closed.Task;
    }

    /// <summary>
    /// Before each read: a session of a <c>captureOverflow: backpressure</c> listener waits here while the
    /// capture writer is behind, so its peer slows down instead of its messages being dropped.
    /// </summary>
    protected ValueTask WaitForCaptureAsync() =>
        Capture.Backpressured ? Plane.Capture.WaitForRoomAsync(Lifetime) : ValueTask.CompletedTask;

    /// <summary>Why this payload cannot be sent on this session (e.g. too big for its framing), or null.</summary>
    public virtual string? CheckPayload(byte[] payload) => null;

    protected virtual void OnStarted()
    {
    }

    /// <summary>Writes the whole payload to the peer.</summary>
    protected abstract ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>
    /// Records an injected payload, then delivers it. Recording first keeps seq in wire order: a fast
    /// peer's reply can arrive before a send's completion is observed. A relay overrides this to reach
    /// either side.
    /// </summary>
    protected virtual async ValueTask DeliverAsync(byte[] payload, SendTarget target, CancellationToken cancellationToken)
    {
        Record(Direction.Out, payload);
        await SendToPeerAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether injections may target <paramref name="target"/> (only relays have an upstream).</summary>
    public virtual bool CanSendTo(SendTarget target) => target == SendTarget.Client;

    /// <summary>Releases the transport: FIN (graceful) or RST (abort) for TCP.</summary>
    protected abstract void CloseTransport(bool abort);

    protected static string Describe(SocketException exception) => Describe(exception.SocketErrorCode);

    protected static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.TimedOut => "connection timed out",
        SocketError.Shutdown => "connection shut down",
        _ => $"socket error: {error}",
    };

    /// <summary>The socket error behind a socket or stream exception, if there is one.</summary>
    protected static SocketError? SocketErrorOf(Exception exception) => exception switch
    {
        SocketException s => s.SocketErrorCode,
        IOException { InnerException: SocketException s } => s.SocketErrorCode,
        _ => null,
    };

    /// <summary>A close reason for a failed socket or stream operation; null for anything else (closing, bugs).</summary>
    protected static string? DescribeFailure(Exception exception) =>
        SocketErrorOf(exception) is { } error ? Describe(error) : (exception as IOException)?.Message;

    /// <summary>Closes a socket: FIN after a shutdown, or RST (linger 0) when aborting.</summary>
    protected static void CloseSocket(Socket socket, bool abort)
    {
        try
        {
            if (abort)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            else
            {
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset or gone.
        }

        socket.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var outbox = _outbox!.Reader; // made before this loop was started
            while (await outbox.WaitToReadAsync(Lifetime).ConfigureAwait(false))
            {
                while (outbox.TryRead(out var outgoing))
                {
                    await DeliverAsync(outgoing.Payload, outgoing.Target, Lifetime).ConfigureAwait(false);
                    Interlocked.Add(ref _pendingBytes, -outgoing.Payload.Length);
                    outgoing.Delivered?.TrySetResult();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The session is closing.
        }
        catch (Exception ex) when (DescribeFailure(ex) is { } why)
        {
            SessionLog.SocketError(Logger, Id, why);
            _ = CloseAsync(why, abort: true);
        }
    }

    private async Task CloseCoreAsync(string reason, bool abort)
    {
        try
        {
            Task? writer;
            lock (_gate)
            {
                writer = _writer;
            }

            if (!abort && writer is not null)
            {
                try
                {
                    await writer.WaitAsync(TimeSpan.FromSeconds(Plane.Options.ShutdownTimeoutSeconds)).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    abort = true;
                }
            }

            await _lifetime.CancelAsync().ConfigureAwait(false);
            var undelivered = PendingSendBytes;
            if (undelivered > 0)
            {
                SessionLog.UndeliveredOnClose(Logger, Id, undelivered, reason);
            }

            CloseTransport(abort);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            SessionLog.SocketError(Logger, Id, ex.Message);
        }
        finally
        {
            lock (_gate)
            {
                _closedAt = Plane.Now;
                _closeReason = reason;
            }

            var info = Snapshot();
            Plane.Sessions.MarkClosed(this, info);
            Owner.OnSessionClosed(this);
            Plane.Bus.Publish(new SessionClosed(info));
            SessionLog.Closed(Logger, Id, Owner.Name, Remote, reason, info.BytesIn, info.BytesOut);
            _closed.TrySetResult();
        }
    }
}
