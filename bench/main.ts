console.log('bench: to be written');
