using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Listeners;

/// <summary>
/// A raw socket the gateway owns: binds, runs its accept/receive loop, turns peers into sessions and
/// keeps counters. Stopping closes the socket and every session it accepted.
/// </summary>
internal abstract class GatewayListener
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

    protected GatewayListener(DataPlane plane, ListenerOptions options, ListenerProtocol protocol)
    {
        Plane = plane;
        Name = options.Name;
        Protocol = protocol;
        Address = IPAddress.Parse(options.Address);
        Port = options.Port;
        Optional = options.Optional;
        Logger = plane.LoggerFactory.CreateLogger(GetType());
    }

    public string Id => Name;

    public string Name { get; }

    public ListenerProtocol Protocol { get; }

    public IPAddress Address { get; }

    /// <summary>The configured port until bound, then the real one.</summary>
    public int Port { get; private set; }

    public bool Optional { get; }

    public ListenerState State => _state;

    public EndPoint? LocalEndPoint => _socket?.LocalEndPoint;

    /// <summary><c>tcp 127.0.0.1:12345</c>, for log lines and errors.</summary>
    public string Description => $"{Protocol.ToString().ToLowerInvariant()} {new IPEndPoint(Address, Port)}";

    protected DataPlane Plane { get; }

    protected ILogger Logger { get; }

    protected Socket Socket => _socket ?? throw new InvalidOperationException($"Listener {Name} is not bound.");

    public ListenerInfo Snapshot() => new(
        Id, Name, Protocol, Address.ToString(), Port, _state, Volatile.Read(ref _open), Interlocked.Read(ref _total),
        Interlocked.Read(ref _bytesIn), Interlocked.Read(ref _bytesOut), _error);

    /// <summary>Binds the socket. Throws <see cref="SocketException"/> when the address cannot be had.</summary>
    public void Bind()
    {
        var endpoint = new IPEndPoint(Address, Port);
        var socket = CreateSocket(endpoint.AddressFamily);
        try
        {
            if (Address.Equals(IPAddress.IPv6Any))
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
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        _state = ListenerState.Listening;
        _error = null;
    }

    /// <summary>Starts the accept/receive loop of a bound listener.</summary>
    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>Stops accepting, then closes this listener's sessions with <paramref name="reason"/>.</summary>
    public async Task StopAsync(string reason, TimeSpan timeout)
    {
        if (_state != ListenerState.Listening)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        await _loop.ConfigureAwait(false);
        _state = ListenerState.Stopped;
        Plane.Bus.Publish(new ListenerChanged(Snapshot()));
        await CloseSessionsAsync(Plane.Sessions.List(Id, SessionFilter.Open), reason, timeout).ConfigureAwait(false);
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

    internal void OnSessionOpened()
    {
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _total);
    }

    internal virtual void OnSessionClosed(Session session) => Interlocked.Decrement(ref _open);

    internal void OnTraffic(Direction direction, int bytes)
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

    protected abstract Socket CreateSocket(AddressFamily family);

    /// <summary>After bind: TCP listens here.</summary>
    protected virtual void OnBound(Socket socket)
    {
    }

    protected abstract Task RunAsync(CancellationToken stopping);
}
