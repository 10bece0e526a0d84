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
    private readonly bool _minted;

    public StreamGatewayListener(DataPlane plane, ListenerOptions options, ListenerProtocol protocol)
        : base(plane, options, protocol)
    {
        if (options.Tls is { } tls)
        {
            _selfSigned = tls.SelfSigned;
            if (tls.SelfSigned)
            {
                _certificate = TlsCertificates.CreateSelfSigned(options.Name);
            }
            else if (!string.IsNullOrWhiteSpace(tls.CertificatePath))
            {
                _certificate = TlsCertificates.Load(tls.CertificatePath, tls.Password);
            }
            else
            {
                _minted = true; // ca: true, or a relay's tls naming no certificate
            }
        }
    }

    private bool TerminatesTls => _certificate is not null || _minted;

    /// <summary>Without SNI, a minted certificate names the upstream's host (relays) or the bound address.</summary>
    private string DefaultName => UpstreamTarget?.Host ?? Address?.ToString() ?? "localhost";

    protected override Socket CreateSocket(AddressFamily family) =>
        family == AddressFamily.Unix
            ? new Socket(family, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(family, SocketType.Stream, ProtocolType.Tcp);

    protected override void OnBound(Socket socket) => socket.Listen(Plane.Options.Tcp.Backlog);

    /// <summary>The accepted client, and a relay's upstream leg.</summary>
    protected override int DescriptorsPerSession => UpstreamTarget is null ? 1 : 2;

    protected override ListenerTlsInfo? TlsInfo() =>
        _minted ? new ListenerTlsInfo(false, Plane.Leaves.Ca.Fingerprint, Plane.Leaves.Ca.Certificate.Subject, Plane.Leaves.Ca.Certificate.NotAfter.ToUniversalTime(), Ca: true)
        : _certificate is null ? null
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
                Format, Tls: TerminatesTls || UpstreamTarget?.Tls is not null, Upstream: Upstream);
            if (Protocol == ListenerProtocol.Tcp)
            {
                client.NoDelay = true;
            }

            if (UpstreamTarget is not null)
            {
                var relay = new RelaySession(Plane, this, client, shape, UpstreamTarget, TerminatesTls ? AuthenticateAsync : null);
                relay.Start();
                _ = relay.RunAsync();
                continue;
            }

            var session = new StreamSession(Plane, this, client, shape, handshake: TerminatesTls ? (stream, token) => AuthenticateAsync(stream, null, token) : null);
            session.Start();
            _ = session.RunAsync();
        }
    }

    /// <param name="protocols">ALPN to answer with (an intercepting relay's upstream choice); null: none.</param>
    private async Task<Stream> AuthenticateAsync(Stream stream, List<SslApplicationProtocol>? protocols, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            var options = _minted
                ? new SslServerAuthenticationOptions
                {
                    // The name the client asked for (SNI) gets a certificate of its own, signed by the gateway CA.
                    ServerCertificateSelectionCallback = (_, name) => Plane.Leaves.For(string.IsNullOrEmpty(name) ? DefaultName : name),
                    ApplicationProtocols = protocols,
                }
                : new SslServerAuthenticationOptions { ServerCertificate = _certificate, ApplicationProtocols = protocols };
            await ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
