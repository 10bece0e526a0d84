using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Gateway.Capture;
using Gateway.Configuration;
using Gateway.Connections;
using System.Collections.Immutable;
using Gateway.Faults;
using Gateway.Framing;
using Gateway.Intercept;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Listeners;

/// <summary>
/// A raw socket the gateway owns: binds, runs its accept/receive loop, turns peers into sessions and
/// keeps counters. Stopping closes the socket and every session it accepted.
/// </summary>
internal abstract partial class GatewayListener : ISessionOwner
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private Socket? _socket;
    private int _open;
    private long _total;
    private long _bytesIn;
    private long _bytesOut;
    private volatile ListenerState _state = ListenerState.Stopped;
    private volatile string? _error;
    private string? _layout;
    private Decoding.DecoderChoice _decoder;

    protected GatewayListener(DataPlane plane, ListenerOptions options, ListenerProtocol protocol)
    {
        Plane = plane;
        Name = options.Name;
        Protocol = protocol;
        if (protocol == ListenerProtocol.Unix)
        {
            Path = System.IO.Path.GetFullPath(options.Path!);
        }
        else
        {
            Address = IPAddress.Parse(options.Address);
            Port = options.Port;
        }

        Optional = options.Optional;
        IdleTimeout = options.IdleTimeoutSeconds is { } idle ? TimeSpan.FromSeconds(idle)
            : protocol == ListenerProtocol.Udp ? TimeSpan.FromSeconds(plane.Options.Udp.IdleTimeoutSeconds)
            : null;
        if (!string.IsNullOrWhiteSpace(options.Upstream) && UpstreamAddress.TryParse(options, protocol, out var upstream, out _))
        {
            UpstreamTarget = upstream;
            Upstream = options.Upstream.Trim();
        }

        Capture = CapturePolicy.From(options.Capture, options.CaptureOverflow);
        _decoder = new Decoding.DecoderChoice(Decoding.Decoders.TryName(options.Decoder, out var decoder) ? decoder : "",
            string.IsNullOrWhiteSpace(options.DecodeAs) ? null : options.DecodeAs);
        _layout = string.IsNullOrWhiteSpace(options.Layout) ? null : options.Layout;
        FrameFormat.TryParse(options.Framing, out var framing, out _);
        Format = framing;
        _policy = new Pipeline.ListenerPolicy(Format, Capture, CompileRules(options.Rules, field => field), []);
        Logger = plane.LoggerFactory.CreateLogger(GetType());
    }

    public string Id => Name;

    public string Name { get; }

    string? ISessionOwner.ListenerId => Id;

    public ListenerProtocol Protocol { get; }

    /// <summary>Bound IP address (tcp, udp).</summary>
    public IPAddress? Address { get; }

    /// <summary>The configured port until bound, then the real one (tcp, udp).</summary>
    public int Port { get; private set; }

    /// <summary>Socket file, made absolute (unix).</summary>
    public string? Path { get; }

    public bool Optional { get; }

    /// <summary>How its sessions cut each direction's bytes into messages.</summary>
    public FrameFormat Format { get; }

    public FramingMode Framing => Format.Mode;

    public CapturePolicy Capture { get; }

    /// <summary>The decoder the API reads its sessions' messages with; null: none.</summary>
    public string? Decoder => Volatile.Read(ref _decoder).Name is { Length: > 0 } name ? name : null;

    /// <summary>tshark's Decode As rule for decoder <c>wireshark</c>.</summary>
    public string? DecodeAs => Volatile.Read(ref _decoder).DecodeAs;

    /// <summary>The decoder with its Decode As rule, read together; null: none.</summary>
    public Decoding.DecoderChoice? DecoderChoice => Volatile.Read(ref _decoder) is { Name.Length: > 0 } choice ? choice : null;

    /// <summary>Replaces the decoder (and its Decode As rule) in one step; null: none. Validated by the caller.</summary>
    public void ChooseDecoder(Decoding.DecoderChoice? choice) => Volatile.Write(ref _decoder, choice ?? new Decoding.DecoderChoice(""));

    /// <summary>The Kaitai Struct layout (<c>.ksy</c>) the dashboard decodes its messages with (decoder <c>layout</c>); replaced by <c>PUT /api/listeners/{id}/layout</c>.</summary>
    public string? Layout
    {
        get => Volatile.Read(ref _layout);
        set => Volatile.Write(ref _layout, value);
    }

    /// <summary>A session with no traffic either way for this long is closed; null: never (the default for tcp and unix).</summary>
    public TimeSpan? IdleTimeout { get; }

    /// <summary>Where a relay listener forwards its clients, as configured; null for plain listeners.</summary>
    public string? Upstream { get; }

    /// <summary>The parsed <see cref="Upstream"/> each client's upstream leg dials.</summary>
    public DialTarget? UpstreamTarget { get; }

    /// <summary>A relay's faults (part of <see cref="Policy"/>).</summary>
    public ImmutableArray<FaultInfo> Faults => Policy.Faults;

    public ListenerState State => _state;

    public EndPoint? LocalEndPoint => _socket?.LocalEndPoint;

    /// <summary><c>tcp 127.0.0.1:12345</c> or <c>unix /run/x.sock</c>, for log lines and errors.</summary>
    public string Description => Protocol == ListenerProtocol.Unix
        ? $"unix {Path}"
        : $"{Protocol.ToString().ToLowerInvariant()} {new IPEndPoint(Address!, Port)}";

    protected DataPlane Plane { get; }

    protected ILogger Logger { get; }

    protected Socket Socket => _socket ?? throw new InvalidOperationException($"Listener {Name} is not bound.");

    public virtual ListenerInfo Snapshot() => new(
        Id, Name, Protocol, Address?.ToString(), Port, Path, _state, Volatile.Read(ref _open), Interlocked.Read(ref _total),
        Interlocked.Read(ref _bytesIn), Interlocked.Read(ref _bytesOut), Framing, TlsInfo(), Upstream, _error,
        Capture.Mode, Capture.Overflow, Refused, IdleTimeout?.TotalSeconds, Format.IsRaw ? null : Format.ToSpec(), Decoder, DecodeAs, Layout is not null, Plane.Node.Id);

    /// <summary>Binds the socket. Throws <see cref="SocketException"/> when the address cannot be had.</summary>
    public void Bind()
    {
        EndPoint endpoint = Protocol == ListenerProtocol.Unix
            ? new UnixDomainSocketEndPoint(Path!)
            : new IPEndPoint(Address!, Port);
        var socket = CreateSocket(endpoint.AddressFamily);
        try
        {
            if (Address?.Equals(IPAddress.IPv6Any) == true)
            {
                // "::" accepts IPv4 peers too.
                socket.DualMode = true;
            }

            socket.Bind(endpoint);
            OnBound(socket);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            _state = ListenerState.Failed;
            _error = ex.Message;
            throw;
        }

        _socket = socket;
        if (Protocol == ListenerProtocol.Unix)
        {
            SocketFile = UnixSocketFiles.Identify(Path!, followLinks: false);
        }

        if (socket.LocalEndPoint is IPEndPoint bound)
        {
            Port = bound.Port;
        }

        _state = ListenerState.Listening;
        _error = null;
    }

    /// <summary>Starts the accept/receive loop of a bound listener.</summary>
    public void Start() => _loop = Task.WhenAll(Task.Run(() => RunAsync(_stopping.Token)), SweepIdleAsync(_stopping.Token));

    /// <summary>Stops accepting, then closes this listener's sessions with <paramref name="reason"/>.</summary>
    public async Task StopAsync(string reason, TimeSpan timeout)
    {
        if (_state != ListenerState.Listening)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (Protocol == ListenerProtocol.Unix)
        {
            CloseUnixSocket();
        }
        else
        {
            _socket?.Dispose();
        }

        await _loop.ConfigureAwait(false);

        _state = ListenerState.Stopped;
        await CloseSessionsAsync(Plane.Sessions.ListOpen(Id), reason, timeout).ConfigureAwait(false);
        Plane.Bus.Publish(new ListenerChanged(Snapshot()));
    }

    /// <summary>Closes sessions gracefully; those still open after <paramref name="timeout"/> are reset.</summary>
    public static async Task CloseSessionsAsync(IReadOnlyCollection<Session> sessions, string reason, TimeSpan timeout)
    {
        var closing = sessions.Select(s => s.CloseAsync(reason)).ToArray();
        try
        {
            await Task.WhenAll(closing).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await Task.WhenAll(sessions.Select(s => s.CloseAsync(reason, abort: true))).ConfigureAwait(false);
        }
    }

    public void OnSessionOpened()
    {
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _total);
    }

    public virtual void OnSessionClosed(Session session)
    {
        Interlocked.Decrement(ref _open);
        Plane.Descriptors.Release(DescriptorsPerSession);
    }

    public void OnTraffic(Direction direction, int bytes)
    {
        if (direction == Direction.In)
        {
            Interlocked.Add(ref _bytesIn, bytes);
        }
        else
        {
            Interlocked.Add(ref _bytesOut, bytes);
        }
    }

    /// <summary>What an accept or receive throws when the listener's socket is being closed.</summary>
    protected static bool IsStopping(Exception exception) =>
        exception is OperationCanceledException or ObjectDisposedException
        || exception is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted };

    protected abstract Socket CreateSocket(AddressFamily family);

    /// <summary>After bind: stream listeners listen here.</summary>
    protected virtual void OnBound(Socket socket)
    {
    }

    protected virtual ListenerTlsInfo? TlsInfo() => null;

    protected abstract Task RunAsync(CancellationToken stopping);

    /// <summary>
    /// A socket file left by a process that died blocks bind. If nothing answers on it within
    /// <paramref name="timeout"/>, it is stale and removed; if something accepts, or keeps the probe
    /// waiting (a live owner whose backlog is full), the address is in use. Anything but a socket file is
    /// never removed. Runs before <see cref="Bind"/>, outside any lock.
    /// </summary>
    public async Task ClearStaleSocketFileAsync(TimeSpan timeout)
    {
        if (Protocol != ListenerProtocol.Unix || UnixSocketFiles.Identify(Path!, followLinks: false) is not { } file)
        {
            return;
        }

        if (!file.IsSocket)
        {
            return; // bind reports the path as taken
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(Path!), deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // Nobody listens: stale. Remove it only if it is still the file that was probed.
            if (UnixSocketFiles.Identify(Path!, followLinks: false) is { } now && now.SameFileAs(file))
            {
                TryDelete(Path!);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            // Someone owns it and is not accepting (a full backlog answers EAGAIN, or keeps us waiting):
            // in use; bind says so.
        }
    }

    /// <summary>The socket file this listener made, as bound (null before bind, and for tcp and udp).</summary>
    public FileIdentity? SocketFile { get; private set; }

    /// <summary>
    /// Closes a Unix listener's socket and removes its socket file, and only that. .NET's Socket unlinks
    /// the path it bound when disposed, whatever is there by then; so a file that has replaced ours since
    /// bind (a regular file, a link, someone else's socket) is stepped aside for that moment and put back.
    /// </summary>
    private void CloseUnixSocket()
    {
        var path = Path!;
        string? aside = null;
        if (UnixSocketFiles.Identify(path, followLinks: false) is { } now && !(now.IsSocket && SocketFile is { } own && now.SameFileAs(own)))
        {
            aside = $"{path}.{Guid.NewGuid():N}.keep";
            try
            {
                File.Move(path, aside);
            }
            catch (IOException)
            {
                aside = null;
            }
        }

        _socket?.Dispose();
        if (aside is not null)
        {
            try
            {
                File.Move(aside, path, overwrite: false);
            }
            catch (IOException ex)
            {
                ListenerLog.ForeignFileNotRestored(Logger, Name, path, aside, ex.Message);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Someone else's now; leave it.
        }
    }
}
