namespace Gateway.Configuration;

/// <summary>The <c>Gateway</c> configuration section: listeners and every bound of the data plane.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Raw listeners started with the app (<c>Gateway:Listeners:N:...</c>).</summary>
    public List<ListenerOptions> Listeners { get; set; } = [];

    public TcpOptions Tcp { get; set; } = new();

    public UdpOptions Udp { get; set; } = new();

    public WatchOptions Watch { get; set; } = new();

    public HistoryOptions History { get; set; } = new();

    public LimitsOptions Limits { get; set; } = new();

    public ObserverOptions Observers { get; set; } = new();

    /// <summary>
    /// On stop (SIGTERM, Ctrl+C): how long sessions get to flush and close (FIN) before the rest are reset.
    /// Also how long one closed session may take to write what was queued for it.
    /// </summary>
    public double ShutdownTimeoutSeconds { get; set; } = 10;

    public Security.AuthOptions Auth { get; set; } = new();

    public CorsOriginsOptions Cors { get; set; } = new();

    public FramingOptions Framing { get; set; } = new();

    public TlsOptions Tls { get; set; } = new();

    public OutboundOptions Outbound { get; set; } = new();

    public InterceptOptions Intercept { get; set; } = new();

    public CaptureOptions Capture { get; set; } = new();

    public RulesOptions Rules { get; set; } = new();

    public DecodingOptions Decoding { get; set; } = new();

    public ClusterModeOptions Cluster { get; set; } = new();
}

/// <summary>The decoding worker's queue: past it, messages go without a summary (counted).</summary>
public sealed class DecodingOptions
{
    public int QueueCapacity { get; set; } = 16_384;

    public long QueueBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>tshark for decoder <c>wireshark</c>; default: <c>tshark</c> on PATH.</summary>
    public string? Tshark { get; set; }

    /// <summary>One tshark run is killed past this (the request gets a 504 problem).</summary>
    public double TsharkTimeoutSeconds { get; set; } = 20;

    /// <summary>One tshark run is killed past this much output (a 413 problem).</summary>
    public long TsharkMaxOutputBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Messages one dissection hands tshark: the session's first few and those just before the one asked for.</summary>
    public int WiresharkWindow { get; set; } = 500;
}

/// <summary>Bounds of listener rules.</summary>
public sealed class RulesOptions
{
    /// <summary>How long one rule's regex may run on one message; past it the rule is disabled (with the reason shown) rather than stall the data plane.</summary>
    public int RegexTimeoutMs { get; set; } = 100;

    /// <summary>Rules one listener may have.</summary>
    public int MaxPerListener { get; set; } = 100;
}

/// <summary>The capture store's writer and retention (the database itself is <c>ConnectionStrings:Capture</c>).</summary>
public sealed class CaptureOptions
{
    /// <summary>The longest a captured message waits in memory before its batch is committed.</summary>
    public int FlushIntervalMs { get; set; } = 200;

    /// <summary>A batch is committed as soon as it holds this many payload bytes.</summary>
    public int BatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Retention: stored payload bytes (plus 64 per message) past which the oldest messages are removed.</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Retention: messages and closed sessions older than this are removed.</summary>
    public double MaxAgeHours { get; set; } = 168;

    /// <summary>Events the writer may have waiting; past this (or <see cref="QueueBytes"/>) messages are dropped and counted.</summary>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>Payload bytes the writer's waiting events may hold: what absorbs the moments the writer gets no CPU (one listener may use half).</summary>
    public long QueueBytes { get; set; } = 256 * 1024 * 1024;

    /// <summary>Payload bytes one page of <c>/messages</c> may carry (a page holds at least one message).</summary>
    public int PageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// What a committed batch survives: <c>process</c> (default) a crash or kill of the gateway, not a power
    /// loss (SQLite WAL with <c>synchronous=NORMAL</c>: the OS has the bytes, commits do not wait for the disk);
    /// <c>power</c> a power loss too (<c>synchronous=FULL</c>: every commit waits for the disk).
    /// </summary>
    public string Durability { get; set; } = "process";
}

public sealed class InterceptOptions
{
    /// <summary>Messages a relay direction may have waiting behind (and including) held ones before it stops reading.</summary>
    public int MaxHeldPerSession { get; set; } = 100;

    /// <summary>
    /// Payload bytes one relay session may keep waiting (held messages, what queues behind them, datagrams
    /// waiting out a latency fault); past it a stream relay stops reading, a UDP relay drops (counted).
    /// </summary>
    public long MaxHeldBytesPerSession { get; set; } = 4 * 1024 * 1024;

    /// <summary>The same, for all relays together.</summary>
    public long MaxHeldBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Bytes of each held message <c>GET /api/held</c> and the hub show (the whole message: <c>GET /api/held/{id}</c>).</summary>
    public int PreviewBytes { get; set; } = 4096;
}

public sealed class ListenerOptions
{
    public string Name { get; set; } = "";

    /// <summary><c>tcp</c>, <c>udp</c> or <c>unix</c>.</summary>
    public string Protocol { get; set; } = "tcp";

    /// <summary>IP address to bind (tcp, udp); <c>::</c> is dual-mode.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Socket file (unix).</summary>
    public string? Path { get; set; }

    /// <summary><c>raw</c> (default), <c>line</c>, <c>len16</c>, <c>len32</c>, or an object: <c>{Type: delimiter, Hex}</c> or <c>{Type: length, Offset, Width, Endian, Adjust}</c> (tcp, unix; relays too).</summary>
    public Framing.FramingSpec? Framing { get; set; }

    /// <summary>Terminates TLS on accepted connections (tcp, unix).</summary>
    public ListenerTlsOptions? Tls { get; set; }

    /// <summary>Makes the listener a relay: <c>host:port</c> (or <c>unix:/path</c>) each client is forwarded to.</summary>
    public string? Upstream { get; set; }

    /// <summary>TLS to the upstream (<c>serverName</c>, <c>allowUntrusted</c>).</summary>
    public Connections.ConnectTls? UpstreamTls { get; set; }

    /// <summary>0 binds any free port; the bound one is reported by the API.</summary>
    public int Port { get; set; }

    /// <summary>How the API reads this listener's messages: <c>http</c>, <c>resp</c>, <c>mqtt</c>, <c>modbus</c>, <c>dns</c>, <c>json</c>; none by default.</summary>
    public string? Decoder { get; set; }

    /// <summary>With decoder <c>wireshark</c>: a Decode As rule for tshark, <c>layer==selector,protocol</c> (<c>tcp.port==1883,mqtt</c>).</summary>
    public string? DecodeAs { get; set; }

    /// <summary>A Kaitai Struct layout (<c>.ksy</c> text) for decoder <c>layout</c>; also <c>PUT /api/listeners/{id}/layout</c>.</summary>
    public string? Layout { get; set; }

    /// <summary>Rules, in order: <c>{Id, Name, Enabled, Direction, Match: {Text, Hex, Regex, PrefixHex}, Action: {Type, …}, Continue}</c>.</summary>
    public List<Pipeline.RuleSpec> Rules { get; set; } = [];

    /// <summary>What the capture store keeps of this listener's sessions: <c>full</c> (default), <c>metadata</c> or <c>off</c>.</summary>
    public string? Capture { get; set; }

    /// <summary>When the capture writer is behind: <c>drop</c> (default; counted) or <c>backpressure</c> (sessions stop reading).</summary>
    public string? CaptureOverflow { get; set; }

    /// <summary>A session with no traffic either way for this long is closed (<c>idle timeout</c>). Default: off for tcp and unix, <c>Gateway:Udp:IdleTimeoutSeconds</c> for udp.</summary>
    public double? IdleTimeoutSeconds { get; set; }

    /// <summary>When true, a failure to bind is logged and the listener reported as failed instead of stopping start-up.</summary>
    public bool Optional { get; set; }
}

public sealed class ListenerTlsOptions
{
    /// <summary>PKCS#12 (.pfx/.p12) file, or a PEM file holding the certificate and its key.</summary>
    public string? CertificatePath { get; set; }

    public string? Password { get; set; }

    /// <summary>Make a self-signed certificate at start (its SHA-256 fingerprint is shown in the listener).</summary>
    public bool SelfSigned { get; set; }

    /// <summary>
    /// Present, for each name a client asks for (SNI), a certificate minted on the fly and signed by the
    /// gateway CA (<c>GET /api/tls/ca.pem</c>). The default for a relay whose <c>tls</c> names no certificate.
    /// </summary>
    public bool Ca { get; set; }
}

public sealed class FramingOptions
{
    /// <summary>Largest frame: longer lines are cut, larger declared lengths close the session.</summary>
    public int MaxFrameBytes { get; set; } = 64 * 1024;
}

public sealed class TlsOptions
{
    /// <summary>A TLS handshake that takes longer closes the session.</summary>
    public double HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>The gateway CA to use instead of the one made on first start: a PEM with the certificate (and its key), or PKCS#12.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>The CA's private key as a separate PEM file.</summary>
    public string? CaKeyPath { get; set; }

    /// <summary>The password of an encrypted CA key or PKCS#12 file.</summary>
    public string? CaPassword { get; set; }

    /// <summary>How long a minted leaf certificate is valid.</summary>
    public double LeafLifetimeHours { get; set; } = 24;

    /// <summary>Leaf certificates kept for reuse, one per name; past it the oldest made is forgotten.</summary>
    public int MaxCachedLeaves { get; set; } = 1000;
}

public sealed class OutboundOptions
{
    /// <summary>Default time an outbound connect (and its TLS handshake) may take before 504.</summary>
    public double ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Where connections, replays, relay upstreams and sendto may go (empty: anywhere): <c>host:port</c>
    /// patterns (<c>*.example.com:443</c>, <c>db:5432</c>, <c>*:8000-8100</c>), IPs and CIDR ranges with or
    /// without a port (<c>10.0.0.0/8</c>, <c>[::1]:6379</c>), and <c>unix:/path/prefix</c>. Anything else: 403.
    /// </summary>
    public List<string> AllowedTargets { get; set; } = [];
}

public sealed class TcpOptions
{
    /// <summary>Size of the pooled buffer a session reads into; one read is one message at most this big.</summary>
    public int ReceiveBufferBytes { get; set; } = 64 * 1024;

    /// <summary>Accept backlog of each TCP listener.</summary>
    public int Backlog { get; set; } = 512;
}

public sealed class UdpOptions
{
    /// <summary>A UDP session with no datagram either way for this long is closed.</summary>
    public double IdleTimeoutSeconds { get; set; } = 120;
}

public sealed class WatchOptions
{
    /// <summary>Payloads pushed to hub clients are cut to this many bytes (<c>truncated: true</c>).</summary>
    public int MaxPreviewBytes { get; set; } = 4096;

    /// <summary>Events a hub client may have waiting; past this its events are dropped and counted.</summary>
    public int ClientQueueCapacity { get; set; } = 10_000;

    /// <summary>Payload bytes a hub client's queued events may hold; past this its events are dropped and counted.</summary>
    public long ClientQueueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most messages in one <c>traffic</c> batch.</summary>
    public int MaxBatchMessages { get; set; } = 256;

    /// <summary>Most payload bytes in one <c>traffic</c> batch (a batch holds at least one message), so one hub message stays small.</summary>
    public int MaxBatchBytes { get; set; } = 256 * 1024;

    /// <summary>Under load, at most one <c>traffic</c> batch per client this often (0: a batch as soon as the queue is momentarily empty); an idle client's next message goes at once.</summary>
    public int CoalesceMs { get; set; } = 2;
}

public sealed class HistoryOptions
{
    /// <summary>Closed sessions kept in memory (without messages), for those the capture store does not keep.</summary>
    public int MaxClosedSessions { get; set; } = 1000;
}

public sealed class LimitsOptions
{
    /// <summary>Largest payload one send or broadcast may inject (413 above).</summary>
    public int MaxSendBytes { get; set; } = 1024 * 1024;

    /// <summary>Injected bytes a session may have waiting for a slow peer before further sends are refused (409).</summary>
    public int MaxPendingSendBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Sessions one listener may have open; past it, new connections are accepted and closed at once (counted).</summary>
    public int MaxSessionsPerListener { get; set; } = 1000;

    /// <summary>Sessions the whole gateway may have open; past it, new connections are accepted and closed at once (counted).</summary>
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>
    /// HTTP connections (API, dashboard, hub) open at once (Kestrel's <c>MaxConcurrentConnections</c>); past it,
    /// new ones are closed at once and counted (<c>httpConnectionsRefused</c> in <c>/api/stats</c>).
    /// </summary>
    public int MaxHttpConnections { get; set; } = 1000;

    /// <summary>Set at start when defaults were lowered to fit the open-file limit: what was lowered (logged once the listeners are up).</summary>
    internal string? FittedToFiles { get; set; }

    /// <summary>Listeners the gateway may have, configured and created at runtime together (409 past it).</summary>
    public int MaxListeners { get; set; } = 100;

    /// <summary>Largest HTTP request body (413 above): room for MaxSendBytes written as spaced hex.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest message a hub client may send (SignalR <c>MaximumReceiveMessageSize</c>).</summary>
    public long MaxHubMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>State-changing REST calls (POST, PUT, DELETE) one key (or, when open, one address) may make per second, on average.</summary>
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>How many of them may come at once before 429s start.</summary>
    public int RequestBurst { get; set; } = 200;
}

public sealed class ObserverOptions
{
    /// <summary>Capacity of each observer's event channel; a full channel drops events and counts them.</summary>
    public int ChannelCapacity { get; set; } = 65_536;

    /// <summary>Payload bytes each observer's queued events may hold; past this events are dropped and counted.</summary>
    public long MaxPendingBytes { get; set; } = 64 * 1024 * 1024;
}

/// <summary><c>Gateway:Cors</c>: the browser origins allowed to call the API and open the hub (none by default).</summary>
public sealed class CorsOriginsOptions
{
    /// <summary>e.g. <c>https://tools.example.com</c>; no trailing slash. The hub's WebSocket handshake is checked against the same list.</summary>
    public List<string> Origins { get; set; } = [];
}
