using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The real app on real Kestrel at port 0, with both default listeners moved to free ports.
/// Ports come from the API, as an outside client would find them.
/// </summary>
public sealed class GatewayApp : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplicationFactory<Program> _factory;
    private readonly TempFolder? _ownFolder;

    private GatewayApp(WebApplicationFactory<Program> factory, HttpClient http, TempFolder? ownFolder)
    {
        _factory = factory;
        Http = http;
        _ownFolder = ownFolder;
    }

    public HttpClient Http { get; }

    public Uri BaseAddress => Http.BaseAddress!;

    public int TcpPort { get; private set; }

    public int UdpPort { get; private set; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>The key <see cref="Http"/> sends, if any.</summary>
    public string? ApiKey { get; private init; }

    /// <summary>A client of the same server that sends no key of its own.</summary>
    public HttpClient CreateClient() => _factory.CreateClient();

    /// <summary>
    /// Starts the app. Its capture database is a fresh file removed on dispose, unless
    /// <paramref name="settings"/> names one (<c>ConnectionStrings:Capture</c>) to share across restarts.
    /// </summary>
    /// <param name="apiKey">Sent by <see cref="Http"/> (and the hub connections made here) on every call, when keys are configured.</param>
    public static async Task<GatewayApp> StartAsync(IDictionary<string, string?>? settings = null, string? apiKey = null)
    {
        var ownFolder = settings?.ContainsKey("ConnectionStrings:Capture") == true ? null : new TempFolder();
        var values = new Dictionary<string, string?>
        {
            // appsettings.json names port 5080, and the test host prefers configured URLs.
            ["Urls"] = "http://127.0.0.1:0",
            ["Gateway:Listeners:0:Port"] = "0",
            ["Gateway:Listeners:1:Port"] = "0",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        if (ownFolder is not null)
        {
            values["ConnectionStrings:Capture"] = CaptureDatabase(ownFolder);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
            b.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(values)));
        factory.UseKestrel(0);
        factory.StartServer();
        var app = new GatewayApp(factory, factory.CreateClient(), ownFolder) { ApiKey = apiKey };
        if (apiKey is not null)
        {
            app.Http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        var listeners = await app.GetListenersAsync();
        app.TcpPort = listeners.FirstOrDefault(l => l.Protocol == "tcp" && l.State == "listening")?.Port ?? 0;
        app.UdpPort = listeners.FirstOrDefault(l => l.Protocol == "udp" && l.State == "listening")?.Port ?? 0;
        return app;
    }

    public async Task<WireListener[]> GetListenersAsync() =>
        (await Http.GetFromJsonAsync<WireListener[]>("/api/listeners", Json).Within())!;

    public async Task<T> GetAsync<T>(string path) => (await Http.GetFromJsonAsync<T>(path, Json).Within())!;

    public Task<HttpResponseMessage> PostAsync(string path, object body) => Http.PostAsJsonAsync(path, body, Json).Within();

    /// <summary>POSTs JSON text as given, malformed or not.</summary>
    public Task<HttpResponseMessage> PostJsonTextAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json")).Within();

    /// <summary>A connected TCP client with NoDelay, like the tutorial's client.</summary>
    public async Task<Socket> ConnectTcpAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, TcpPort)).Within();
        return socket;
    }

    /// <summary>The session the gateway made for a client socket, found by the client's own address.</summary>
    public Task<WireSession> SessionOfAsync(Socket client, string? state = null) => SessionOfAsync(client.LocalEndPoint!, state);

    public Task<WireSession> SessionOfAsync(EndPoint clientEndPoint, string? state = null)
    {
        // A dual-mode client socket reports IPv4 as ::ffff:a.b.c.d; the gateway shows plain IPv4.
        var remote = clientEndPoint is IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped
            ? new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port).ToString()
            : clientEndPoint.ToString();
        // History keeps closed sessions, and ephemeral ports are reused: an earlier session may have had this
        // client's address. So: the newest match, and with no state asked, an open one first (a closed one
        // only once the new session had time to be registered).
        var asked = System.Diagnostics.Stopwatch.StartNew();
        return Timeouts.Eventually(async () =>
        {
            var sessions = await GetAsync<WireSession[]>("/api/sessions?state=all");
            var matches = sessions.Where(s => s.Remote == remote && (state is null || s.State == state)).ToList();
            return state is null && asked.ElapsedMilliseconds < 500
                ? matches.LastOrDefault(s => s.State == "open")
                : matches.LastOrDefault();
        }, $"a {state ?? "any"} session for {remote}");
    }

    public async Task<WireMessage[]> MessagesAsync(long sessionId) =>
        await GetAsync<WireMessage[]>($"/api/sessions/{sessionId}/messages");

    /// <summary>Every captured message of a session, paging with afterSeq.</summary>
    public async Task<List<WireMessage>> AllMessagesAsync(long sessionId)
    {
        var all = new List<WireMessage>();
        while (true)
        {
            var page = await GetAsync<WireMessage[]>($"/api/sessions/{sessionId}/messages?afterSeq={(all.Count > 0 ? all[^1].Seq : 0)}&limit=1000");
            if (page.Length == 0)
            {
                return all;
            }

            all.AddRange(page);
        }
    }

    /// <summary>The payloads of one direction of a session's captured messages, joined.</summary>
    public async Task<byte[]> CapturedBytesAsync(long sessionId, string direction) =>
        (await AllMessagesAsync(sessionId)).Where(m => m.Direction == direction).SelectMany(m => m.Data).ToArray();

    /// <summary>POST /api/listeners, asserting 201.</summary>
    public async Task<WireListener> CreateListenerAsync(object body)
    {
        var response = await PostAsync("/api/listeners", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<WireListener>(Json).Within())!;
    }

    /// <summary>POST /api/connections, asserting 201.</summary>
    public async Task<WireSession> ConnectOutAsync(object body)
    {
        var response = await PostAsync("/api/connections", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        Assert.StartsWith("/api/sessions/", response.Headers.Location?.OriginalString);
        return (await response.Content.ReadFromJsonAsync<WireSession>(Json).Within())!;
    }

    /// <summary>Waits until the session has recorded messages matching <paramref name="done"/>.</summary>
    public Task<WireMessage[]> MessagesUntilAsync(long sessionId, Func<WireMessage[], bool> done, string what) =>
        Timeouts.Eventually(async () =>
        {
            var messages = await MessagesAsync(sessionId);
            return done(messages) ? messages : null;
        }, what);

    public async Task<HubConnection> ConnectHubAsync()
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "/hubs/traffic"), o => o.AccessTokenProvider = () => Task.FromResult(ApiKey))
            .Build();
        await hub.StartAsync().Within();
        // StartAsync can return before the server's OnConnectedAsync has attached this client's feed; an
        // invocation is handled only after it, so events published from here on reach the client.
        await hub.InvokeAsync("Unwatch", "*").Within();
        return hub;
    }

    /// <summary>Saves the gateway CA (<c>GET /api/tls/ca.pem</c>) as <c>ca.pem</c> in <paramref name="folder"/>, as a client would to trust it; returns the path.</summary>
    public async Task<string> SaveCaPemAsync(TempFolder folder)
    {
        var path = Path.Combine(folder.Path, "ca.pem");
        await File.WriteAllTextAsync(path, await Http.GetStringAsync("/api/tls/ca.pem").Within());
        return path;
    }

    /// <summary>A <c>ConnectionStrings:Capture</c> value for a database file in <paramref name="folder"/>.</summary>
    public static string CaptureDatabase(TempFolder folder) => $"Data Source={Path.Combine(folder.Path, "gateway.db")}";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
        _ownFolder?.Dispose();
    }
}
