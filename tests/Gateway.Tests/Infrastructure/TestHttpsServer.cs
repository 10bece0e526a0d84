using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real HTTPS server (Kestrel, HTTP/1.1 and HTTP/2, a self-signed certificate) on a free loopback port.
/// It answers every GET with "{protocol} {path} client={the client certificate's subject, or none}".
/// </summary>
internal sealed class TestHttpsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHttpsServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<TestHttpsServer> StartAsync(bool requireClientCertificate = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["AllowedHosts"] = "*"; // not the gateway's appsettings.json, which sits beside the tests
        var certificate = Gateway.Listeners.TlsCertificates.CreateSelfSigned("upstream");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(https =>
            {
                https.ServerCertificate = certificate;
                if (requireClientCertificate)
                {
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    https.AllowAnyClientCertificate();
                }
            });
        }));
        var app = builder.Build();
        app.MapGet("/{**path}", (HttpContext context) =>
            $"{context.Request.Protocol} {context.Request.Path} client={context.Connection.ClientCertificate?.Subject ?? "none"}");
        await app.StartAsync().Within();
        return new TestHttpsServer(app, app.BoundPort());
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal static class WebApplicationPorts
{
    /// <summary>The port a started test server bound (it listened on port 0).</summary>
    public static int BoundPort(this WebApplication app) =>
        new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single()).Port;
}
