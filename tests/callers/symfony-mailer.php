<?php
/*
 * Symfony Mailer (Debian's php-symfony-mailer) sending through its
 * sendmail transport, as an application configured with
 * MAILER_DSN=sendmail://default does, or Laravel with its "sendmail" mailer
 * (path "/usr/sbin/sendmail -bs -i").  The DSN's "command" option points
 * the transport at the program under test instead of /usr/sbin/sendmail.
 *
 *     php symfony-mailer.php COMMAND SCENARIO
 *
 * COMMAND is the sendmail command line ("... -bs" or "... -bs -i").
 * SCENARIO:
 *   two       two messages through one transport (one sendmail process):
 *             the first with To, Cc and Bcc and lines that start with dots,
 *             the second plain
 *   refused   a message over [delivery] max_size (the test sets it low),
 *             refused with 552 at the end of DATA, then a small
 *             one through the same transport
 * Prints "sent N" for each message sent, "refused: MESSAGE" for a
 * refusal; an uncaught exception ends it with PHP's exit status 255.
 */

require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';

use Symfony\Component\Mailer\Exception\TransportExceptionInterface;
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;

[, $command, $scenario] = $argv;
$transport = Transport::fromDsn('sendmail://default?command=' .
    rawurlencode($command));
$mailer = new Mailer($transport);

function first(): Email
{
	return (new Email())
	    ->from('Web App <app@example.com>')
	    ->to('a@example.org')
	    ->cc('c@example.org')
	    ->bcc('hidden@example.net')
	    ->subject('First message')
	    ->text("Hello.\n.\nA line with a dot alone, and\n..two dots.\n");
}

function second(): Email
{
	return (new Email())
	    ->from('app@example.com')
	    ->to('d@example.org')
	    ->subject('Second message')
	    ->text("Second message, same process.\n");
}

switch ($scenario) {
case 'two':
	$mailer->send(first());
	echo "sent 1\n";
	$mailer->send(second());
	echo "sent 2\n";
	break;
case 'refused':
	try {
		$mailer->send(first()->text(str_repeat("0123456789\n", 400)));
		echo "sent 1\n";
	} catch (TransportExceptionInterface $e) {
		echo 'refused: ', strtok($e->getMessage(), "\n"), "\n";
	}
	$mailer->send(second());
	echo "sent 2\n";
	break;
default:
	fwrite(STDERR, "unknown scenario $scenario\n");
	exit(2);
}
