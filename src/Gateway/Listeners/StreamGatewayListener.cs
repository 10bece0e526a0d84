using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;
using Gateway.Connections;
using Gateway.Sessions;

namespace Gateway.Listeners;

/// <summary>
/// Accepts TCP or Unix stream connections; each one is a <see cref="StreamSession"/>, inside TLS when the
/// listener has a certificate.
/// </summary>
internal sealed class StreamGatewayListener : GatewayListener
{
    private readonly X509Certificate2? _certificate;
    private readonly bool _selfSigned;

    public StreamGatewayListener(DataPlane plane, ListenerOptions options, ListenerProtocol protocol)
        : base(plane, options, protocol)
    {
        if (options.Tls is { } tls)
        {
            _selfSigned = tls.SelfSigned;
            _certificate = tls.SelfSigned
                ? TlsCertificates.CreateSelfSigned(options.Name)
                : TlsCertificates.Load(tls.CertificatePath!, tls.Password);
        }
    }

    protected override Socket CreateSocket(AddressFamily family) =>
        family == AddressFamily.Unix
            ? new Socket(family, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(family, SocketType.Stream, ProtocolType.Tcp);

    protected override void OnBound(Socket socket) => socket.Listen(Plane.Options.Tcp.Backlog);

    /// <summary>The accepted client, and a relay's upstream leg.</summary>
    protected override int DescriptorsPerSession => UpstreamTarget is null ? 1 : 2;

    protected override ListenerTlsInfo? TlsInfo() => _certificate is null
        ? null
        : new ListenerTlsInfo(_selfSigned, TlsCertificates.Fingerprint(_certificate), _certificate.Subject, _certificate.NotAfter.ToUniversalTime());

    protected override async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await Socket.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStopping(ex))
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection that died between SYN and accept, or fd exhaustion: keep accepting.
                ListenerLog.AcceptFailed(Logger, Name, ex.SocketErrorCode.ToString());
                continue;
            }

            if (!Admit())
            {
                // Accepted so that the peer is not left in the backlog, and reset at once.
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            var shape = new SessionShape(Protocol, UpstreamTarget is null ? SessionKind.Accepted : SessionKind.Relay,
                Remote: EndpointText.Peer(client), Local: Protocol == ListenerProtocol.Unix ? Path! : EndpointText.Format(client.LocalEndPoint),
                Format, Tls: _certificate is not null, Upstream: Upstream);
            if (Protocol == ListenerProtocol.Tcp)
            {
                client.NoDelay = true;
            }

            if (UpstreamTarget is not null)
            {
                var relay = new RelaySession(Plane, this, client, shape, UpstreamTarget);
                relay.Start();
                _ = relay.RunAsync();
                continue;
            }

            var session = new StreamSession(Plane, this, client, shape, handshake: _certificate is null ? null : AuthenticateAsync);
            session.Start();
            _ = session.RunAsync();
        }
    }

    private async Task<Stream> AuthenticateAsync(Stream stream, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, cancellationToken)
                .ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
